import { createUniqueDatabase } from '../postgres/create-database';

/** Names of the variables the global setup hands to test workers. */
export const TEST_SERVER_ENV = {
  kafkaBrokers: 'SLUICE_TEST_KAFKA_BROKERS',
  databaseUrl: 'SLUICE_TEST_DATABASE_URL',
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
