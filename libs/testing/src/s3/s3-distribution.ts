import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { mavenJars } from '../maven-distribution';

/** The pom that pins the S3 test server (Adobe S3Mock's executable jar). */
export const S3_SERVER_POM = resolve(__dirname, '..', '..', 's3', 'pom.xml');

const s3mockJar = mavenJars({
  pom: S3_SERVER_POM,
  versionProperty: 's3mock.version',
  cachePrefix: 's3mock',
  describe: (version) => `S3Mock ${version}`,
});

export interface S3ServerDistribution {
  version: string;
  /** The self-contained Spring Boot jar: `java -jar` runs the server. */
  jar: string;
  /** True when this call had to download it. */
  downloaded: boolean;
}

export function s3ServerVersion(pomXml = readFileSync(S3_SERVER_POM, 'utf8')): string {
  return s3mockJar.version(pomXml);
}

/** Cache folder named after the version and a hash of the pom, like the Kafka jars. */
export function s3ServerDistributionPaths(): { version: string; home: string; libsDir: string } {
  return s3mockJar.paths();
}

export function isS3ServerDistributionCached(): boolean {
  return s3mockJar.isCached();
}

/** S3Mock's executable jar from Maven Central, copied once into the user cache. */
export async function ensureS3ServerDistribution(): Promise<S3ServerDistribution> {
  const { version, libsDir, downloaded } = await s3mockJar.ensure();
  return { version, jar: findJar(libsDir), downloaded };
}

function findJar(libsDir: string): string {
  const jar = readdirSync(libsDir).find((name) => /^s3mock-.*-exec\.jar$/.test(name));
  if (!jar) throw new Error(`no s3mock-*-exec.jar in ${libsDir}; delete the folder to download it again`);
  return join(libsDir, jar);
}
