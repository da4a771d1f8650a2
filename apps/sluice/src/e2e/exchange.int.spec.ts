import { startKafkaBroker, type KafkaBroker } from '@sluice/testing';
import { exchangeScenarios, type ExchangeHarness } from './exchange.scenario';
import { LEDGER_CHECK, REBUILD, runOperatorCommand } from './operator-commands';
import { startDistributedForTest, type TestEngine } from './test-engine';

jest.setTimeout(240_000);

const ADMIN_KEY = 'sk_admin_e2e_distributed_0123456789';

describe('the exchange end to end on real Kafka and PostgreSQL', () => {
  // A broker of its own: the rebuild replays every event on the topics, and other suites'
  // deployments on the shared broker publish to the same topic names.
  let broker: KafkaBroker;
  let engine: TestEngine;
  exchangeScenarios(
    async (): Promise<ExchangeHarness> => {
      broker = await startKafkaBroker();
      engine = await startDistributedForTest({ name: 'exchange', adminKey: ADMIN_KEY, env: { SLUICE_TIME_SCALE: '3000' }, brokers: broker.brokers });
      const databaseUrls = engine.databaseUrls!;
      return {
        sluice: engine.sluice,
        adminKey: ADMIN_KEY,
        operatorChecks: async () => ({
          ledger: await runOperatorCommand(LEDGER_CHECK, [], { DATABASE_URL: databaseUrls.billing }),
          rebuild: await runOperatorCommand(REBUILD, [], { KAFKA_BROKERS: broker.brokers.join(','), DATABASE_URL: databaseUrls.api }),
        }),
      };
    },
    async () => {
      await engine.stop();
      await broker.stop();
    },
  );
});
