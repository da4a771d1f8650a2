import { testS3Config } from '@sluice/testing';
import { filesScenarios } from './files.scenario';
import { startDistributedForTest, type TestEngine } from './test-engine';

jest.setTimeout(240_000);

const ADMIN_KEY = 'sk_admin_e2e_files_distributed_0123456789';
const MAX_UPLOAD_BYTES = 4 * 1024 * 1024;

describe('files end to end on real Kafka, PostgreSQL and an S3-compatible store', () => {
  let engine: TestEngine;
  filesScenarios(
    async () => {
      engine = await startDistributedForTest({
        name: 'files',
        adminKey: ADMIN_KEY,
        env: { SLUICE_TIME_SCALE: '3000', SLUICE_MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES) },
        blobs: testS3Config('sluice-files-e2e'),
      });
      return { sluice: engine.sluice, adminKey: ADMIN_KEY, maxUploadBytes: MAX_UPLOAD_BYTES };
    },
    () => engine.stop(),
  );
});
