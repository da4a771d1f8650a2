import { ensureKafkaDistribution } from './kafka-distribution';

// Pre-fetches the broker's jars (used by .ci/install-prereqs.sh), so the first test run does not download.
const started = Date.now();
ensureKafkaDistribution().then(
  ({ version, libsDir, downloaded }) => {
    const took = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`Apache Kafka ${version} jars ${downloaded ? `downloaded in ${took} s` : 'already cached'}: ${libsDir}`);
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
