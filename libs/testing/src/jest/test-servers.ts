import { randomUUID } from 'node:crypto';
import { createUniqueDatabase } from '../postgres/create-database';

/** Names of the variables the global setup hands to test workers. */
export const TEST_SERVER_ENV = {
  kafkaBrokers: 'SLUICE_TEST_KAFKA_BROKERS',
  databaseUrl: 'SLUICE_TEST_DATABASE_URL',
  s3Endpoint: 'SLUICE_TEST_S3_ENDPOINT',
} as const;

/** Bootstrap brokers of the real Kafka broker the integration global setup started. */
export function testKafkaBrokers(): string[] {
  return requireEnv(TEST_SERVER_ENV.kafkaBrokers).split(',');
}

/** Superuser URL of the real PostgreSQL server the integration global setup started. */
export function testDatabaseUrl(): string {
  return requireEnv(TEST_SERVER_ENV.databaseUrl);
}

/** A fresh, empty database on the test server, so suites never see each other's rows. */
export function createTestDatabase(prefix = 'test'): Promise<string> {
  return createUniqueDatabase(testDatabaseUrl(), prefix);
}

/** Endpoint (`http://host:port`) of the S3-compatible server the integration global setup started. */
export function testS3Endpoint(): string {
  return requireEnv(TEST_SERVER_ENV.s3Endpoint);
}

/** Shaped like `@sluice/blobstore`'s s3 config (declared here so the two libs do not import each other). */
export interface TestS3Config {
  kind: 's3';
  bucket: string;
  region: string;
  endpoint: string;
  forcePathStyle: true;
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * Blob store settings for the test S3 server with a bucket no other suite uses:
 * `<prefix>-<8 hex>`. The store creates the bucket on its first put.
 */
export function testS3Config(prefix = 'test'): TestS3Config {
  return {
    kind: 's3',
    bucket: `${prefix}-${randomUUID().slice(0, 8)}`.toLowerCase(),
    region: 'us-east-1',
    endpoint: testS3Endpoint(),
    forcePathStyle: true,
    accessKeyId: 'sluice-test',
    secretAccessKey: 'sluice-test',
  };
}

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: this is an integration suite (name it *.int.spec.ts) and run it with ` +
        '`npx jest --selectProjects integration`, whose global setup starts the servers.',
    );
  }
  return value;
}
