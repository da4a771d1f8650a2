import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { quotedChargeMicros } from './exchange.scenario';
import { until } from './http';
import { callAt, openAccountAt, usdToMicros } from './realtime.scenario';
import { startEmbeddedForTest, type TestEngine } from './test-engine';

jest.setTimeout(120_000);

const ADMIN_KEY = 'sk_admin_e2e_sla_retry_0123456789';
/** Simulated time runs 600× faster: the 60-minute window lasts 6 s. */
const TIME_SCALE = 600;
const MODEL_PROVIDERS = ['bargain', 'midway', 'swift'];

interface ObjectView {
  status: string;
  sla_missed?: boolean;
  usage: { input_tokens: number; output_tokens?: number; price_factor: number };
  error?: { code: string; message: string } | null;
}

/** The demo market without provider batch APIs: an SLA item can only run live, so its retries are live calls. */
function liveOnlyCatalogue(): string {
  const demo = JSON.parse(readFileSync('config/catalogue.demo.json', 'utf8')) as { providers: Record<string, unknown>[] };
  const path = join(mkdtempSync(join(tmpdir(), 'sluice-sla-retry-')), 'catalogue.json');
  writeFileSync(path, JSON.stringify({ ...demo, providers: demo.providers.map(({ batch: _batch, ...p }) => p) }));
  return path;
}

describe('SLA-aware retries, end to end on the embedded engine', () => {
  let engine: TestEngine;

  beforeAll(async () => {
    engine = await startEmbeddedForTest({ name: 'sla-retry', adminKey: ADMIN_KEY, env: { SLUICE_TIME_SCALE: String(TIME_SCALE), SLUICE_CATALOGUE: liveOnlyCatalogue() } });
  });
  afterAll(() => engine?.stop());

  it('keeps retrying while every provider fails for most of the window, completes inside it and charges once at the quoted factor', async () => {
    const { sluice } = engine;
    const market = sluice.market!;
    const { key } = await openAccountAt(sluice.url, ADMIN_KEY, 'retry', 1);
    for (const id of MODEL_PROVIDERS) market.setFailures(id, { rate5xx: 1 });
    market.resetStats();
    const submitted = await callAt<{ objects: { object_id: string }[] }>(sluice.url, 'POST', '/v0/infer/', key, [{ sla: 60, model: 'qwen-7b', input: 'Name three prime numbers.' }]);
    expect(submitted.status).toBe(200);
    const objectId = submitted.body.objects[0].object_id;
    // Down for two thirds of the window (40 simulated minutes).
    await sleep((40 * 60_000) / TIME_SCALE);
    const failedCalls = MODEL_PROVIDERS.reduce((n, id) => n + market.stats()[id].serverErrors, 0);
    for (const id of MODEL_PROVIDERS) market.setFailures(id, { rate5xx: 0 });

    const done = await until(
      'the object to finish',
      async () => {
        const object = await callAt<ObjectView>(sluice.url, 'GET', `/v0/infer/object/${objectId}`, key);
        return object.body.status === 'completed' || object.body.status === 'failed' ? object.body : undefined;
      },
      30_000,
    );
    expect(done.error ?? null).toBeNull();
    expect(done).toMatchObject({ status: 'completed', sla_missed: false });
    // More than the six quick attempts an item without a window gets.
    expect(failedCalls).toBeGreaterThan(6);
    const charge = quotedChargeMicros('qwen-7b', done.usage.input_tokens, done.usage.output_tokens ?? 0, done.usage.price_factor);
    await sleep(500);
    const balance = await callAt<{ current_balance_usd: number }>(sluice.url, 'GET', '/v1/balance', key);
    expect(usdToMicros(balance.body.current_balance_usd)).toBe(1_000_000 - charge);
  });
});
