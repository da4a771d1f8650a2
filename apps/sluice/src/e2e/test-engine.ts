import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BlobStoreConfig } from '@sluice/blobstore';
import type { ServiceName } from '@sluice/events';
import { createTestDatabase, testKafkaBrokers } from '@sluice/testing';
import { loadEmbeddedConfig } from '../config';
import { startEmbedded, type EmbeddedSluice } from '../embedded-host';

const SERVICES: ServiceName[] = ['api', 'scheduler', 'router', 'billing', 'files'];

export interface TestEngine {
  sluice: EmbeddedSluice;
  dataDir: string;
  /** Set on the distributed engine: each service's PostgreSQL database. */
  databaseUrls?: Record<ServiceName, string>;
  /** Stops Sluice (a no-op if it was stopped already) and removes the data folder. */
  stop(): Promise<void>;
}

export interface TestEngineOptions {
  /** Names the data folder and the databases. */
  name: string;
  adminKey: string;
  /** More settings (SLUICE_TIME_SCALE, …); the HTTP port is free and the demo providers instant unless set here. */
  env?: Record<string, string>;
  /** Distributed only: brokers (default: the integration setup's) and blob store (default: a folder). */
  brokers?: string[];
  blobs?: BlobStoreConfig;
}

async function start(options: TestEngineOptions, distributed: boolean): Promise<TestEngine> {
  const dataDir = mkdtempSync(join(tmpdir(), `sluice-${options.name}-`));
  const databaseUrls = distributed
    ? (Object.fromEntries(await Promise.all(SERVICES.map(async (s) => [s, await createTestDatabase(`${options.name.replace(/\W/g, '_')}_${s}`)] as const))) as Record<ServiceName, string>)
    : undefined;
  const config = loadEmbeddedConfig({ SLUICE_DATA_DIR: dataDir, PORT: '0', SLUICE_ADMIN_KEY: options.adminKey, SLUICE_DEMO_LATENCY_SCALE: '0', ...options.env });
  const sluice = await startEmbedded(
    config,
    databaseUrls ? { kind: 'distributed', brokers: options.brokers ?? testKafkaBrokers(), databaseUrls, blobs: options.blobs } : { kind: 'embedded' },
  );
  return {
    sluice,
    dataDir,
    databaseUrls,
    stop: async () => {
      await sluice.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** All five services in this process on the embedded log and PGlite, as `npm start` runs them. */
export const startEmbeddedForTest = (options: TestEngineOptions) => start(options, false);
/** All five services in this process on real Kafka and PostgreSQL (the integration setup's servers). */
export const startDistributedForTest = (options: TestEngineOptions) => start(options, true);
