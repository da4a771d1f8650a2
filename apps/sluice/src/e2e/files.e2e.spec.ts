import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEmbeddedConfig } from '../config';
import { startEmbedded } from '../embedded-host';
import { filesScenarios } from './files.scenario';

jest.setTimeout(180_000);

const ADMIN_KEY = 'sk_admin_e2e_files_embedded_0123456789';
const MAX_UPLOAD_BYTES = 4 * 1024 * 1024;

describe('files end to end on the embedded engine', () => {
  let dataDir: string;
  filesScenarios(
    async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'sluice-files-'));
      const sluice = await startEmbedded(
        loadEmbeddedConfig({
          SLUICE_DATA_DIR: dataDir,
          PORT: '0',
          SLUICE_ADMIN_KEY: ADMIN_KEY,
          SLUICE_TIME_SCALE: '3000',
          SLUICE_DEMO_LATENCY_SCALE: '0',
          SLUICE_MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES),
        }),
      );
      return { sluice, adminKey: ADMIN_KEY, maxUploadBytes: MAX_UPLOAD_BYTES };
    },
    async (h) => {
      await h.sluice.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  );
});
