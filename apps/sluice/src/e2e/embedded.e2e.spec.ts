import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Topics } from '@sluice/events';
import { loadEmbeddedConfig } from '../config';
import { startEmbedded, type EmbeddedSluice } from '../embedded-host';
import { waitForHealthy } from './http';

jest.setTimeout(60_000);

const root = join(__dirname, '..', '..', '..', '..');

describe('embedded engine (npm start)', () => {
  let dataDir: string;
  let sluice: EmbeddedSluice | undefined;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'sluice-e2e-'));
  });
  afterEach(async () => {
    await sluice?.stop();
    sluice = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  const start = () =>
    startEmbedded(loadEmbeddedConfig({ SLUICE_DATA_DIR: dataDir, PORT: '0', HEARTBEAT_INTERVAL_MS: '200' }));

  it('serves /healthz with the embedded log and all five services up', async () => {
    sluice = await start();
    const { status, body } = await waitForHealthy(sluice.url, 20_000);
    expect(status).toBe(200);
    expect(body?.log).toMatchObject({ kind: 'embedded', ok: true });
    for (const service of ['api', 'scheduler', 'router', 'billing', 'files']) {
      expect(body?.services[service]).toMatchObject({ status: 'up', instances: 1 });
    }
  });

  it('keeps its data across a restart in the same data folder', async () => {
    sluice = await start();
    await waitForHealthy(sluice.url, 20_000);
    const heartbeats = { topic: Topics.heartbeats, partition: 0 };
    const before = await sluice.log.endOffset(heartbeats);
    expect(before).toBeGreaterThan(0);
    await sluice.stop();

    sluice = await start();
    expect(await sluice.log.endOffset(heartbeats)).toBeGreaterThanOrEqual(before);
    expect((await waitForHealthy(sluice.url, 20_000)).status).toBe(200);
  });

  it('refuses a bad setting at start with a message naming it', () => {
    const run = spawnSync(process.execPath, ['-r', './tools/register.cjs', 'apps/sluice/src/main.ts'], {
      cwd: root,
      env: { ...process.env, PORT: 'eighty', SLUICE_DATA_DIR: dataDir },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('sluice: invalid configuration');
    expect(run.stderr).toMatch(/PORT: bad value/);
  });
});
