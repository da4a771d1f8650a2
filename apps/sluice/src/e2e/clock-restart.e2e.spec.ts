import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadEmbeddedConfig } from '../config';
import { startEmbedded, type EmbeddedSluice } from '../embedded-host';

jest.setTimeout(120_000);

const ADMIN_KEY = 'sk_admin_e2e_clock_restart_0123456789';

/** Issue #23: with SLUICE_TIME_SCALE > 1, simulated time went back to real now at each start. */
describe('simulated time across a restart on one data folder', () => {
  let dataDir: string;
  let sluice: EmbeddedSluice | undefined;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'sluice-clock-restart-'));
  });
  afterEach(async () => {
    await sluice?.stop();
    sluice = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  const start = (scale: string) =>
    startEmbedded(loadEmbeddedConfig({ SLUICE_DATA_DIR: dataDir, PORT: '0', SLUICE_ADMIN_KEY: ADMIN_KEY, SLUICE_DEMO_LATENCY_SCALE: '0', SLUICE_TIME_SCALE: scale }));

  it('goes on after a restart from where it was, never back to real now, at the same scale or at scale 1', async () => {
    sluice = await start('3600');
    await sleep(1_000);
    const beforeStop = sluice.clock.now().getTime();
    // An hour of simulated time per real second: well ahead of the wall clock by now.
    expect(beforeStop - Date.now()).toBeGreaterThan(30 * 60_000);
    await sluice.stop();

    sluice = await start('3600');
    const afterRestart = sluice.clock.now().getTime();
    expect(afterRestart).toBeGreaterThanOrEqual(beforeStop);
    await sleep(200);
    const later = sluice.clock.now().getTime();
    expect(later).toBeGreaterThan(afterRestart);
    await sluice.stop();

    sluice = await start('1');
    expect(sluice.clock.now().getTime()).toBeGreaterThanOrEqual(later);
  });
});
