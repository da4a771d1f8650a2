import { startKafkaBroker, type KafkaBroker } from '../kafka/kafka-broker';
import { isKafkaDistributionCached } from '../kafka/kafka-distribution';
import { startPostgres, type PostgresServer } from '../postgres/postgres-server';
import { INITDB, JAVA, MAVEN, PG_CTL, requireCommands } from '../prerequisites';
import { isS3ServerDistributionCached } from '../s3/s3-distribution';
import { startS3Server, type S3Server } from '../s3/s3-server';
import { TEST_SERVER_ENV } from './test-servers';

/** What the teardown must stop; jest runs setup and teardown in the same process. */
export interface StartedTestServers {
  kafka: KafkaBroker | null;
  postgres: PostgresServer | null;
  s3: S3Server | null;
}

const SERVERS_KEY = '__sluiceTestServers__';

export function startedTestServers(): StartedTestServers | undefined {
  return (globalThis as Record<string, unknown>)[SERVERS_KEY] as StartedTestServers | undefined;
}

/**
 * Starts one real Kafka broker, one real PostgreSQL server and one S3-compatible server
 * (S3Mock) for the whole integration run, side by side, and hands their addresses to the
 * test workers through the environment. A variable already set (e.g. by a CI script that
 * started the servers itself) is used as it is.
 */
export default async function globalSetup(): Promise<void> {
  const externalKafka = process.env[TEST_SERVER_ENV.kafkaBrokers];
  const externalPostgres = process.env[TEST_SERVER_ENV.databaseUrl];
  const externalS3 = process.env[TEST_SERVER_ENV.s3Endpoint];
  const needsMaven = (!externalKafka && !isKafkaDistributionCached()) || (!externalS3 && !isS3ServerDistributionCached());
  // Check everything first, so a fresh machine gets one message listing every package.
  requireCommands([
    ...(externalKafka && externalS3 ? [] : [JAVA]),
    ...(needsMaven ? [MAVEN] : []),
    ...(externalPostgres ? [] : [INITDB, PG_CTL]),
  ]);

  const started = Date.now();
  const [kafka, postgres, s3] = await Promise.allSettled([
    externalKafka ? Promise.resolve(null) : startKafkaBroker(),
    externalPostgres ? Promise.resolve(null) : startPostgres(),
    externalS3 ? Promise.resolve(null) : startS3Server(),
  ]);
  const servers: StartedTestServers = {
    kafka: kafka.status === 'fulfilled' ? kafka.value : null,
    postgres: postgres.status === 'fulfilled' ? postgres.value : null,
    s3: s3.status === 'fulfilled' ? s3.value : null,
  };
  (globalThis as Record<string, unknown>)[SERVERS_KEY] = servers;
  const failure = [kafka, postgres, s3].find((result) => result.status === 'rejected');
  if (failure) {
    await Promise.allSettled([servers.kafka?.stop(), servers.postgres?.stop(), servers.s3?.stop()]);
    throw (failure as PromiseRejectedResult).reason;
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);

  if (servers.kafka) {
    process.env[TEST_SERVER_ENV.kafkaBrokers] = servers.kafka.brokers.join(',');
    log(
      `Kafka: real Apache Kafka ${servers.kafka.version} broker (KRaft, java pid ${servers.kafka.pid}) ` +
        `at ${servers.kafka.brokers.join(',')}, up in ${seconds} s`,
    );
  } else {
    log(`Kafka: external broker at ${externalKafka} (from ${TEST_SERVER_ENV.kafkaBrokers})`);
  }
  if (servers.postgres) {
    process.env[TEST_SERVER_ENV.databaseUrl] = servers.postgres.url;
    log(`PostgreSQL: real server "${servers.postgres.version}" at ${servers.postgres.url}`);
  } else {
    log(`PostgreSQL: external server at ${externalPostgres} (from ${TEST_SERVER_ENV.databaseUrl})`);
  }
  if (servers.s3) {
    process.env[TEST_SERVER_ENV.s3Endpoint] = servers.s3.endpoint;
    log(`S3: S3Mock ${servers.s3.version} (java pid ${servers.s3.pid}) at ${servers.s3.endpoint}`);
  } else {
    log(`S3: external server at ${externalS3} (from ${TEST_SERVER_ENV.s3Endpoint})`);
  }
}

function log(line: string): void {
  // Jest leaves the cursor after its own output; start on a fresh line so CI logs stay greppable.
  process.stdout.write(`\n[sluice-testing] ${line}\n`);
}
