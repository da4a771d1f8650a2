import { startKafkaBroker, type KafkaBroker } from '@sluice/testing';
import { LEDGER_CHECK, REBUILD, runOperatorCommand } from './operator-commands';
import { OPENAI_BATCHES_ENV, openAiBatchesScenarios } from './openai-batches.scenario';
import { startDistributedForTest, type TestEngine } from './test-engine';

jest.setTimeout(240_000);

const ADMIN_KEY = 'sk_admin_e2e_openai_batches_kafka_0123456789';

describe('OpenAI SDK: files and batches against Sluice on real Kafka and PostgreSQL', () => {
  // A broker of its own: the rebuild replays every event on the topics.
  let broker: KafkaBroker;
  let engine: TestEngine;
  openAiBatchesScenarios(
    async () => {
      broker = await startKafkaBroker();
      engine = await startDistributedForTest({ name: 'openai_batches', adminKey: ADMIN_KEY, env: OPENAI_BATCHES_ENV, brokers: broker.brokers });
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
