import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { MAVEN, requireCommands } from '../prerequisites';

const execFileAsync = promisify(execFile);

/** The pom that pins the broker's jars; its `kafka.version` is the version the tests run against. */
export const KAFKA_POM = resolve(__dirname, '..', '..', 'kafka', 'pom.xml');

export interface KafkaDistribution {
  version: string;
  /** Folder holding every jar of the broker's runtime classpath. */
  libsDir: string;
  /** True when this call had to download the jars. */
  downloaded: boolean;
}

export function kafkaVersion(pomXml = readFileSync(KAFKA_POM, 'utf8')): string {
  const match = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pomXml);
  if (!match) throw new Error(`no <kafka.version> in ${KAFKA_POM}`);
  return match[1].trim();
}

export function sluiceCacheDir(): string {
  return process.env.SLUICE_CACHE_DIR ?? join(homedir(), '.cache', 'sluice');
}

export function kafkaDistributionPaths(): { version: string; home: string; libsDir: string } {
  const pomXml = readFileSync(KAFKA_POM, 'utf8');
  const version = kafkaVersion(pomXml);
  const pomHash = createHash('sha256').update(pomXml).digest('hex').slice(0, 10);
  const home = join(sluiceCacheDir(), `kafka-${version}-${pomHash}`);
  return { version, home, libsDir: join(home, 'libs') };
}

/** True when the jars are cached, so starting a broker needs no Maven and no network. */
export function isKafkaDistributionCached(): boolean {
  return existsSync(kafkaDistributionPaths().libsDir);
}

/**
 * The broker's jars from Maven Central, copied once into the user cache. The folder name
 * carries a hash of the pom, so editing the pom (another version, another dependency)
 * fetches a fresh set instead of running a stale one.
 */
export async function ensureKafkaDistribution(): Promise<KafkaDistribution> {
  const { version, home, libsDir } = kafkaDistributionPaths();
  if (existsSync(libsDir)) return { version, libsDir, downloaded: false };

  const mvn = requireCommands([MAVEN]).get(MAVEN.command)!;
  mkdirSync(home, { recursive: true });
  // Copy into a private folder and rename at the end, so an interrupted download never
  // leaves a half-filled `libs` that later runs would trust.
  const partial = join(home, `libs.partial-${process.pid}`);
  rmSync(partial, { recursive: true, force: true });
  try {
    await execFileAsync(
      mvn,
      ['-B', '-q', '-Dstyle.color=never', '-f', KAFKA_POM, 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${partial}`],
      { maxBuffer: 16 * 1024 * 1024 },
    );
  } catch (err) {
    rmSync(partial, { recursive: true, force: true });
    const output = err as { stdout?: string; stderr?: string };
    throw new Error(
      `Downloading Apache Kafka ${version} jars from Maven Central failed (mvn -f ${KAFKA_POM} dependency:copy-dependencies):\n` +
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
  return { version, libsDir, downloaded: true };
}
