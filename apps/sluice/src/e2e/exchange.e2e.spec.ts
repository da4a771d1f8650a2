import { exchangeScenarios, type ExchangeHarness } from './exchange.scenario';
import { LEDGER_CHECK, REBUILD, runOperatorCommand } from './operator-commands';
import { startEmbeddedForTest, type TestEngine } from './test-engine';

jest.setTimeout(180_000);

const ADMIN_KEY = 'sk_admin_e2e_embedded_0123456789';

describe('the exchange end to end on the embedded engine', () => {
  let engine: TestEngine;
  exchangeScenarios(
    async (): Promise<ExchangeHarness> => {
      engine = await startEmbeddedForTest({ name: 'exchange', adminKey: ADMIN_KEY, env: { SLUICE_TIME_SCALE: '3000' } });
      return {
        sluice: engine.sluice,
        adminKey: ADMIN_KEY,
        // The embedded log and databases belong to one process: stop it, then run the commands.
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
