import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEmbeddedConfig } from '../config';
import { startEmbedded } from '../embedded-host';
import { realtimeScenarios } from './realtime.scenario';

jest.setTimeout(180_000);

const ADMIN_KEY = 'sk_admin_e2e_realtime_0123456789';

describe('POST /v1/inference end to end on the embedded engine', () => {
  let dataDir: string;
  realtimeScenarios(
    async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'sluice-realtime-'));
      const sluice = await startEmbedded(
        loadEmbeddedConfig({ SLUICE_DATA_DIR: dataDir, PORT: '0', SLUICE_ADMIN_KEY: ADMIN_KEY, SLUICE_TIME_SCALE: '1', SLUICE_DEMO_LATENCY_SCALE: '0' }),
      );
      return { sluice, adminKey: ADMIN_KEY };
    },
    async (h) => {
      await h.sluice.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  );
});
