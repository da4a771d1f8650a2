import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEmbeddedConfig } from '../config';
import { startEmbedded } from '../embedded-host';
import { exchangeScenarios, type ExchangeHarness } from './exchange.scenario';
import { LEDGER_CHECK, REBUILD, runOperatorCommand } from './operator-commands';

jest.setTimeout(180_000);

const ADMIN_KEY = 'sk_admin_e2e_embedded_0123456789';

describe('the exchange end to end on the embedded engine', () => {
  let dataDir: string;
  let stopped = false;
  exchangeScenarios(
    async (): Promise<ExchangeHarness> => {
      dataDir = mkdtempSync(join(tmpdir(), 'sluice-exchange-'));
      const sluice = await startEmbedded(
        loadEmbeddedConfig({
          SLUICE_DATA_DIR: dataDir,
          PORT: '0',
          SLUICE_ADMIN_KEY: ADMIN_KEY,
          SLUICE_TIME_SCALE: '3000',
          SLUICE_DEMO_LATENCY_SCALE: '0',
        }),
      );
      return {
        sluice,
        adminKey: ADMIN_KEY,
        // The embedded log and databases belong to one process: stop it, then run the commands.
        operatorChecks: async () => {
          await sluice.stop();
          stopped = true;
          return {
            ledger: await runOperatorCommand(LEDGER_CHECK, ['--data-dir', dataDir]),
            rebuild: await runOperatorCommand(REBUILD, ['--data-dir', dataDir]),
          };
        },
      };
    },
    async (h) => {
      if (!stopped) await h.sluice.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  );
});
