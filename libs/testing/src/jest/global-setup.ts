import { startKafkaBroker, type KafkaBroker } from '../kafka/kafka-broker';
import { isKafkaDistributionCached } from '../kafka/kafka-distribution';
import { startPostgres, type PostgresServer } from '../postgres/postgres-server';
import { INITDB, JAVA, MAVEN, PG_CTL, requireCommands } from '../prerequisites';
import { TEST_SERVER_ENV } from './test-servers';

/** What the teardown must stop; jest runs setup and teardown in the same process. */
export interface StartedTestServers {
  kafka: KafkaBroker | null;
  postgres: PostgresServer | null;
}

const SERVERS_KEY = '__sluiceTestServers__';

export function startedTestServers(): StartedTestServers | undefined {
  return (globalThis as Record<string, unknown>)[SERVERS_KEY] as StartedTestServers | undefined;
}

/**
 * Starts one real Kafka broker and one real PostgreSQL server for the whole integration
 * run and hands their addresses to the test workers through the environment. A variable
 * already set (e.g. by a CI script that started the servers itself) is used as it is.
 */
export default async function globalSetup(): Promise<void> {
  const externalKafka = process.env[TEST_SERVER_ENV.kafkaBrokers];
  const externalPostgres = process.env[TEST_SERVER_ENV.databaseUrl];
  // Check everything first, so a fresh machine gets one message listing every package.
  requireCommands([
    ...(externalKafka ? [] : [JAVA, ...(isKafkaDistributionCached() ? [] : [MAVEN])]),
    ...(externalPostgres ? [] : [INITDB, PG_CTL]),
  ]);

  const started = Date.now();
  const [kafka, postgres] = await Promise.allSettled([
    externalKafka ? Promise.resolve(null) : startKafkaBroker(),
    externalPostgres ? Promise.resolve(null) : startPostgres(),
  ]);
  const servers: StartedTestServers = {
    kafka: kafka.status === 'fulfilled' ? kafka.value : null,
    postgres: postgres.status === 'fulfilled' ? postgres.value : null,
  };
  (globalThis as Record<string, unknown>)[SERVERS_KEY] = servers;
  const failure = [kafka, postgres].find((result) => result.status === 'rejected');
  if (failure) {
    await Promise.allSettled([servers.kafka?.stop(), servers.postgres?.stop()]);
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
}

function log(line: string): void {
  // Jest leaves the cursor after its own output; start on a fresh line so CI logs stay greppable.
  process.stdout.write(`\n[sluice-testing] ${line}\n`);
}
