import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServiceName } from '@sluice/events';
import { createTestDatabase, testKafkaBrokers } from '@sluice/testing';
import { loadEmbeddedConfig } from '../config';
import { startEmbedded } from '../embedded-host';
import { realtimeScenarios } from './realtime.scenario';

jest.setTimeout(240_000);

const ADMIN_KEY = 'sk_admin_e2e_realtime_dist_0123456789';
const SERVICES: ServiceName[] = ['api', 'scheduler', 'router', 'billing', 'files'];

describe('POST /v1/inference end to end on real Kafka and PostgreSQL', () => {
  let dataDir: string;
  realtimeScenarios(
    async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'sluice-realtime-dist-'));
      const databaseUrls = Object.fromEntries(
        await Promise.all(SERVICES.map(async (s) => [s, await createTestDatabase(`realtime_${s}`)] as const)),
      ) as Record<ServiceName, string>;
      const sluice = await startEmbedded(
        loadEmbeddedConfig({ SLUICE_DATA_DIR: dataDir, PORT: '0', SLUICE_ADMIN_KEY: ADMIN_KEY, SLUICE_TIME_SCALE: '1', SLUICE_DEMO_LATENCY_SCALE: '0' }),
        { kind: 'distributed', brokers: testKafkaBrokers(), databaseUrls },
      );
      return { sluice, adminKey: ADMIN_KEY };
    },
    async (h) => {
      await h.sluice.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  );
});
