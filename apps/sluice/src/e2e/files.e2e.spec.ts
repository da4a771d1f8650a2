import { filesScenarios } from './files.scenario';
import { startEmbeddedForTest, type TestEngine } from './test-engine';

jest.setTimeout(180_000);

const ADMIN_KEY = 'sk_admin_e2e_files_embedded_0123456789';
const MAX_UPLOAD_BYTES = 4 * 1024 * 1024;

describe('files end to end on the embedded engine', () => {
  let engine: TestEngine;
  filesScenarios(
    async () => {
      engine = await startEmbeddedForTest({ name: 'files', adminKey: ADMIN_KEY, env: { SLUICE_TIME_SCALE: '3000', SLUICE_MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES) } });
      return { sluice: engine.sluice, adminKey: ADMIN_KEY, maxUploadBytes: MAX_UPLOAD_BYTES };
    },
    () => engine.stop(),
  );
});
