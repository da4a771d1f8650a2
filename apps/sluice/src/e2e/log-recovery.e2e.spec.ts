import { mkdtempSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Topics } from '@sluice/events';
import { captureLogs } from '@sluice/telemetry';
import { loadEmbeddedConfig } from '../config';
import { startEmbedded, type EmbeddedSluice } from '../embedded-host';
import { until, waitForHealthy } from './http';

jest.setTimeout(120_000);

const ADMIN_KEY = 'sk_admin_e2e_log_recovery_0123456789';

/**
 * Issue #23: a data partition whose tail is lost while Sluice is stopped (a disk that dropped its
 * last writes). Its consumers' committed offsets then lie past its new end; left alone, every
 * consumer would skip the records written next at those offsets, and work would be stranded.
 */
describe('embedded log recovery', () => {
  let dataDir: string;
  let sluice: EmbeddedSluice | undefined;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'sluice-log-recovery-'));
  });
  afterEach(async () => {
    await sluice?.stop();
    sluice = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  const start = () =>
    startEmbedded(loadEmbeddedConfig({ SLUICE_DATA_DIR: dataDir, PORT: '0', SLUICE_ADMIN_KEY: ADMIN_KEY, SLUICE_DEMO_LATENCY_SCALE: '0', HEARTBEAT_INTERVAL_MS: '200' }));

  async function post<T>(path: string, key: string, body: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${sluice?.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    return { status: res.status, body: (await res.json()) as T };
  }

  const items = (n: number) => Array.from({ length: n }, (_, i) => ({ model: 'qwen-7b', input: `Name a number above ${i}.` }));
  interface Answer {
    status: string;
    objects: { status: string }[];
  }

  it('runs new work after every objects partition lost its last bytes while stopped, and says what it repaired', async () => {
    sluice = await start();
    await waitForHealthy(sluice.url, 20_000);
    const created = await post<{ api_key: string }>('/v0/admin/accounts', ADMIN_KEY, { name: 'recovery', credit_usd: 5 });
    const key = created.body.api_key;
    const balance = async () => ((await (await fetch(`${sluice?.url}/v1/balance`, { headers: { authorization: `Bearer ${key}` } })).json()) as { current_balance_usd: number }).current_balance_usd;
    await until('the credit', async () => ((await balance()) > 0 ? true : undefined), 30_000);
    const before = await post<Answer>('/v0/infer/', key, items(24));
    expect(before.body.status).toBe('completed');
    await sluice.stop();

    const partitions = join(dataDir, 'log', 'topics', Topics.objects);
    const cut = readdirSync(partitions).filter((f) => f.endsWith('.log') && statSync(join(partitions, f)).size > 0);
    expect(cut.length).toBeGreaterThan(6);
    for (const file of cut) truncateSync(join(partitions, file), statSync(join(partitions, file)).size - 3);

    const logs = captureLogs();
    try {
      sluice = await start();
      await waitForHealthy(sluice.url, 20_000);
      const after = await post<Answer>('/v0/infer/', key, items(24));
      expect(after.status).toBe(200);
      expect(after.body.status).toBe('completed');
      expect(after.body.objects.every((o) => o.status === 'completed')).toBe(true);
      const repairs = logs.lines().filter((line) => String(line.msg).includes("moved the group's offset back"));
      expect(repairs.length).toBeGreaterThanOrEqual(cut.length);
      expect(repairs[0]).toMatchObject({ level: 'warn', component: 'eventlog' });
      expect(repairs[0].msg).toMatch(new RegExp(`^${Topics.objects.replace(/\./g, '\\.')}/\\d+ ends at offset \\d+ but group \\S+ had committed \\d+`));
    } finally {
      logs.restore();
    }
  });
});
