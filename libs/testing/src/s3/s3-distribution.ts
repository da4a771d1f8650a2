import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { sluiceCacheDir } from '../kafka/kafka-distribution';
import { MAVEN, requireCommands } from '../prerequisites';

const execFileAsync = promisify(execFile);

/** The pom that pins the S3 test server (Adobe S3Mock's executable jar). */
export const S3_SERVER_POM = resolve(__dirname, '..', '..', 's3', 'pom.xml');

export interface S3ServerDistribution {
  version: string;
  /** The self-contained Spring Boot jar: `java -jar` runs the server. */
  jar: string;
  /** True when this call had to download it. */
  downloaded: boolean;
}

export function s3ServerVersion(pomXml = readFileSync(S3_SERVER_POM, 'utf8')): string {
  const match = /<s3mock\.version>([^<]+)<\/s3mock\.version>/.exec(pomXml);
  if (!match) throw new Error(`no <s3mock.version> in ${S3_SERVER_POM}`);
  return match[1].trim();
}

/** Cache folder named after the version and a hash of the pom, like the Kafka jars. */
export function s3ServerDistributionPaths(): { version: string; home: string; libsDir: string } {
  const pomXml = readFileSync(S3_SERVER_POM, 'utf8');
  const version = s3ServerVersion(pomXml);
  const pomHash = createHash('sha256').update(pomXml).digest('hex').slice(0, 10);
  const home = join(sluiceCacheDir(), `s3mock-${version}-${pomHash}`);
  return { version, home, libsDir: join(home, 'libs') };
}

export function isS3ServerDistributionCached(): boolean {
  return existsSync(s3ServerDistributionPaths().libsDir);
}

/** S3Mock's executable jar from Maven Central, copied once into the user cache. */
export async function ensureS3ServerDistribution(): Promise<S3ServerDistribution> {
  const { version, home, libsDir } = s3ServerDistributionPaths();
  if (existsSync(libsDir)) return { version, jar: findJar(libsDir), downloaded: false };

  const mvn = requireCommands([MAVEN]).get(MAVEN.command)!;
  mkdirSync(home, { recursive: true });
  // Copy into a private folder and rename at the end: an interrupted download never leaves
  // a half-written jar that later runs would trust.
  const partial = join(home, `libs.partial-${process.pid}`);
  rmSync(partial, { recursive: true, force: true });
  try {
    await execFileAsync(
      mvn,
      ['-B', '-q', '-Dstyle.color=never', '-f', S3_SERVER_POM, 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${partial}`],
      { maxBuffer: 16 * 1024 * 1024 },
    );
  } catch (err) {
    rmSync(partial, { recursive: true, force: true });
    const output = err as { stdout?: string; stderr?: string };
    throw new Error(
      `Downloading S3Mock ${version} from Maven Central failed (mvn -f ${S3_SERVER_POM} dependency:copy-dependencies):\n` +
        `${output.stdout ?? ''}${output.stderr ?? ''}`.trim().slice(-4_000),
    );
  }
  try {
    renameSync(partial, libsDir);
  } catch (err) {
    // Another process finished the same download first; its copy is as good as ours.
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(libsDir)) throw err;
  }
  return { version, jar: findJar(libsDir), downloaded: true };
}

function findJar(libsDir: string): string {
  const jar = readdirSync(libsDir).find((name) => /^s3mock-.*-exec\.jar$/.test(name));
  if (!jar) throw new Error(`no s3mock-*-exec.jar in ${libsDir}; delete the folder to download it again`);
  return join(libsDir, jar);
}
