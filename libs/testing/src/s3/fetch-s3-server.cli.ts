import { ensureS3ServerDistribution } from './s3-distribution';

// Pre-fetches the S3 test server's jar (used by .ci/install-prereqs.sh), so the first test run does not download.
const started = Date.now();
ensureS3ServerDistribution().then(
  ({ version, jar, downloaded }) => {
    const took = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`S3Mock ${version} ${downloaded ? `downloaded in ${took} s` : 'already cached'}: ${jar}`);
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
