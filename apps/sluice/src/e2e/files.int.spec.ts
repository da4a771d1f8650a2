import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServiceName } from '@sluice/events';
import { createTestDatabase, testKafkaBrokers, testS3Config } from '@sluice/testing';
import { loadEmbeddedConfig } from '../config';
import { startEmbedded } from '../embedded-host';
import { filesScenarios } from './files.scenario';

jest.setTimeout(240_000);

const ADMIN_KEY = 'sk_admin_e2e_files_distributed_0123456789';
const SERVICES: ServiceName[] = ['api', 'scheduler', 'router', 'billing', 'files'];
const MAX_UPLOAD_BYTES = 4 * 1024 * 1024;

describe('files end to end on real Kafka, PostgreSQL and an S3-compatible store', () => {
  let dataDir: string;
  filesScenarios(
    async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'sluice-files-dist-'));
      const databaseUrls = Object.fromEntries(
        await Promise.all(SERVICES.map(async (s) => [s, await createTestDatabase(`files_${s}`)] as const)),
      ) as Record<ServiceName, string>;
      const sluice = await startEmbedded(
        loadEmbeddedConfig({
          SLUICE_DATA_DIR: dataDir,
          PORT: '0',
          SLUICE_ADMIN_KEY: ADMIN_KEY,
          SLUICE_TIME_SCALE: '3000',
          SLUICE_DEMO_LATENCY_SCALE: '0',
          SLUICE_MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES),
        }),
        { kind: 'distributed', brokers: testKafkaBrokers(), databaseUrls, blobs: testS3Config('sluice-files-e2e') },
      );
      return { sluice, adminKey: ADMIN_KEY, maxUploadBytes: MAX_UPLOAD_BYTES };
    },
    async (h) => {
      await h.sluice.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  );
});
