import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { mavenJars } from '../maven-distribution';

export { sluiceCacheDir } from '../maven-distribution';

/** The pom that pins the broker's jars; its `kafka.version` is the version the tests run against. */
export const KAFKA_POM = resolve(__dirname, '..', '..', 'kafka', 'pom.xml');

const kafkaJars = mavenJars({
  pom: KAFKA_POM,
  versionProperty: 'kafka.version',
  cachePrefix: 'kafka',
  describe: (version) => `Apache Kafka ${version} jars`,
});

export interface KafkaDistribution {
  version: string;
  /** Folder holding every jar of the broker's runtime classpath. */
  libsDir: string;
  /** True when this call had to download the jars. */
  downloaded: boolean;
}

export function kafkaVersion(pomXml = readFileSync(KAFKA_POM, 'utf8')): string {
  return kafkaJars.version(pomXml);
}

/** `<cache>/kafka-<version>-<pom hash>/libs`, the layout .ci/install-prereqs.sh also fills. */
export function kafkaDistributionPaths(): { version: string; home: string; libsDir: string } {
  return kafkaJars.paths();
}

/** True when the jars are cached, so starting a broker needs no Maven and no network. */
export function isKafkaDistributionCached(): boolean {
  return kafkaJars.isCached();
}

/** The broker's jars from Maven Central, copied once into the user cache. */
export async function ensureKafkaDistribution(): Promise<KafkaDistribution> {
  return kafkaJars.ensure();
}
