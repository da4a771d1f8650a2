import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServiceName } from '@sluice/events';
import { createTestDatabase, startKafkaBroker, type KafkaBroker } from '@sluice/testing';
import { loadEmbeddedConfig } from '../config';
import { startEmbedded } from '../embedded-host';
import { exchangeScenarios, type ExchangeHarness } from './exchange.scenario';
import { LEDGER_CHECK, REBUILD, runOperatorCommand } from './operator-commands';

jest.setTimeout(240_000);

const ADMIN_KEY = 'sk_admin_e2e_distributed_0123456789';
const SERVICES: ServiceName[] = ['api', 'scheduler', 'router', 'billing', 'files'];

describe('the exchange end to end on real Kafka and PostgreSQL', () => {
  let dataDir: string;
  // A broker of its own: the rebuild replays every event on the topics, and other suites'
  // deployments on the shared broker publish to the same topic names.
  let broker: KafkaBroker;
  exchangeScenarios(
    async (): Promise<ExchangeHarness> => {
      dataDir = mkdtempSync(join(tmpdir(), 'sluice-exchange-dist-'));
      broker = await startKafkaBroker();
      const brokers = broker.brokers;
      const databaseUrls = Object.fromEntries(
        await Promise.all(SERVICES.map(async (s) => [s, await createTestDatabase(`exchange_${s}`)] as const)),
      ) as Record<ServiceName, string>;
      const sluice = await startEmbedded(
        loadEmbeddedConfig({
          SLUICE_DATA_DIR: dataDir,
          PORT: '0',
          SLUICE_ADMIN_KEY: ADMIN_KEY,
          SLUICE_TIME_SCALE: '3000',
          SLUICE_DEMO_LATENCY_SCALE: '0',
        }),
        { kind: 'distributed', brokers, databaseUrls },
      );
      return {
        sluice,
        adminKey: ADMIN_KEY,
        operatorChecks: async () => ({
          ledger: await runOperatorCommand(LEDGER_CHECK, [], { DATABASE_URL: databaseUrls.billing }),
          rebuild: await runOperatorCommand(REBUILD, [], { KAFKA_BROKERS: brokers.join(','), DATABASE_URL: databaseUrls.api }),
        }),
      };
    },
    async (h) => {
      await h.sluice.stop();
      await broker.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  );
});
