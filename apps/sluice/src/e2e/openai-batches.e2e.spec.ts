import { LEDGER_CHECK, REBUILD, runOperatorCommand } from './operator-commands';
import { OPENAI_BATCHES_ENV, openAiBatchesScenarios } from './openai-batches.scenario';
import { startEmbeddedForTest, type TestEngine } from './test-engine';

jest.setTimeout(180_000);

const ADMIN_KEY = 'sk_admin_e2e_openai_batches_0123456789';

describe('OpenAI SDK: files and batches against embedded Sluice', () => {
  let engine: TestEngine;
  openAiBatchesScenarios(
    async () => {
      engine = await startEmbeddedForTest({ name: 'openai-batches', adminKey: ADMIN_KEY, env: OPENAI_BATCHES_ENV });
      return {
        sluice: engine.sluice,
        adminKey: ADMIN_KEY,
        operatorChecks: async () => {
          await engine.sluice.stop();
          return {
            ledger: await runOperatorCommand(LEDGER_CHECK, ['--data-dir', engine.dataDir]),
            rebuild: await runOperatorCommand(REBUILD, ['--data-dir', engine.dataDir]),
          };
        },
      };
    },
    () => engine.stop(),
  );
});
