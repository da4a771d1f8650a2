import type { ServiceName } from '@sluice/events';
import { startKafkaBroker, startPostgres } from '@sluice/testing';
import type { Engine } from '../../apps/sluice/src/embedded-host';

const SERVICES: ServiceName[] = ['api', 'scheduler', 'router', 'billing', 'files'];

/**
 * The engine the real-time benchmarks run Sluice on: `embedded`, or `kafka` — a real Kafka
 * broker and PostgreSQL server started here (as the integration suites do), one database per
 * service named `<prefix>_<service>`.
 */
export async function startBenchEngine(kind: string, databasePrefix: string): Promise<{ engine: Engine; stop: () => Promise<void> }> {
  if (kind === 'embedded') return { engine: { kind: 'embedded' }, stop: async () => undefined };
  const [kafka, postgres] = await Promise.all([startKafkaBroker(), startPostgres()]);
  const databaseUrls = Object.fromEntries(await Promise.all(SERVICES.map(async (s) => [s, await postgres.createDatabase(`${databasePrefix}_${s}`)] as const))) as Record<ServiceName, string>;
  return {
    engine: { kind: 'distributed', brokers: kafka.brokers, databaseUrls },
    stop: async () => {
      await kafka.stop();
      await postgres.stop();
    },
  };
}
