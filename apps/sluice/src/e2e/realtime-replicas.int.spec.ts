import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { declareConsumer, type EventOf } from '@sluice/events';
import { EventBus, type Subscription } from '@sluice/eventlog';
import type { ApiReplica } from '../embedded-host';
import { until, type HealthBody } from './http';
import { callAt, openAccountAt, realtimeRequest, usdToMicros, type Inference } from './realtime.scenario';
import { startDistributedForTest, type TestEngine } from './test-engine';

jest.setTimeout(240_000);

const ADMIN_KEY = 'sk_admin_e2e_realtime_replicas_0123456789';

type Charged = EventOf<'Charged'>;

/**
 * Two API replicas, as two pods run them: each its own HTTP port and Kafka client, both on the
 * same API database (where the gateway's admission holds and Idempotency-Keys live) and the same
 * log, with the other four services behind them. Real Kafka and PostgreSQL.
 */
describe('POST /v1/inference at two API replicas on real Kafka and PostgreSQL', () => {
  let engine: TestEngine;
  let replica: ApiReplica;
  let urls: string[];
  let recorder: Subscription;
  /** Every Charged on the billing topic (the broker is shared with other suites: filter by account). */
  const charged: Charged[] = [];

  beforeAll(async () => {
    engine = await startDistributedForTest({ name: 'realtime_replicas', adminKey: ADMIN_KEY, env: { SLUICE_TIME_SCALE: '1' } });
    replica = await engine.sluice.startApiReplica!();
    urls = [engine.sluice.url, replica.url];
    recorder = await new EventBus(engine.sluice.log).subscribe({
      consumer: declareConsumer({ name: 'test-realtime-replicas', handles: ['Charged'] }),
      groupId: `test-realtime-replicas-${randomUUID()}`,
      fromBeginning: true,
      handle: async (events) => void charged.push(...events),
    });
  });
  afterAll(async () => {
    await recorder?.stop();
    await engine?.stop();
  });

  const chargesOf = (accountId: string) => charged.filter((e) => e.payload.accountId === accountId);
  const balanceMicrosAt = async (url: string, key: string) =>
    usdToMicros((await callAt<{ current_balance_usd: number }>(url, 'GET', '/v1/balance', key)).body.current_balance_usd);
  const providerCalls = () => Object.values(engine.sluice.market!.stats()).reduce((sum, s) => sum + s.chatCompletions, 0);

  /** Waits until billing charged `count` requests of the account, then a moment more for any extra charge to show. */
  async function settledCharges(accountId: string, count: number): Promise<Charged[]> {
    await until(`${count} Charged for ${accountId}`, async () => (chargesOf(accountId).length >= count ? true : undefined), 30_000);
    await sleep(1_000);
    return chargesOf(accountId);
  }

  /** What the gateway holds for `body` while it runs: the bound its 402 names on a (nearly) empty wallet. */
  async function boundOf(body: object): Promise<number> {
    const { key } = await openAccountAt(urls[0], ADMIN_KEY, `replicas-bound-${randomUUID()}`, 0.000001);
    const refused = await callAt<Inference>(urls[1], 'POST', '/v1/inference', key, body);
    expect(refused.status).toBe(402);
    return usdToMicros(Number(/may cost up to \$([\d.]+)/.exec(refused.body.error!.message)![1]));
  }

  it('are two replicas: each answers on its own port, and the log sees two API instances', async () => {
    expect(replica.url).not.toBe(engine.sluice.url);
    const instances = async () => ((await (await fetch(`${urls[1]}/healthz`)).json()) as HealthBody).services.api?.instances;
    await until('two API instances in /healthz', async () => ((await instances()) === 2 ? true : undefined), 30_000);
    const { key } = await openAccountAt(urls[0], ADMIN_KEY, 'replicas-ping', 1);
    for (const url of urls) expect(await balanceMicrosAt(url, key)).toBe(1_000_000);
  });

  it('runs 50 concurrent requests with one Idempotency-Key over both replicas once: one provider call, one charge', async () => {
    const creditMicros = 1_000_000;
    const { key, accountId } = await openAccountAt(urls[0], ADMIN_KEY, 'replicas-idempotent', 1);
    engine.sluice.market!.resetStats();
    const headers = { 'idempotency-key': 'replicas-order-7731' };
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) => callAt<Inference>(urls[i % 2], 'POST', '/v1/inference', key, realtimeRequest, headers)),
    );
    expect(replies.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
    expect(providerCalls()).toBe(1);

    const cost = usdToMicros(replies[0].body.billing.cost_usd);
    expect(cost).toBeGreaterThan(0);
    const charges = await settledCharges(accountId, 1);
    expect(charges).toHaveLength(1);
    expect(charges[0].payload).toMatchObject({ objectId: replies[0].body.id, amountMicros: cost, availableMicros: creditMicros - cost });
    for (const url of urls) expect(await balanceMicrosAt(url, key)).toBe(creditMicros - cost);

    // The key with another body, at either replica: refused, nothing run.
    for (const url of urls) {
      const conflict = await callAt<Inference>(url, 'POST', '/v1/inference', key, { ...realtimeRequest, input: 'another question' }, headers);
      expect(conflict.status).toBe(422);
      expect(conflict.body.error?.code).toBe('idempotency_key_reused_with_different_request');
    }
    expect(providerCalls()).toBe(1);
  });

  it('answers 402 to some of 40 concurrent requests over both replicas that exceed the wallet; never negative, charged exactly what was answered', async () => {
    // ~300 input tokens and at most 16 out on the fast profile (swift, the dearest provider):
    // an answer costs nearly what it holds until it is recorded (its bound, read from the 402 of
    // an empty wallet). The wallet covers four bounds and a half: four at a time. A replica that
    // admitted against the wallet less its own holds only would admit four as well, so two such
    // replicas would answer eight and overspend it (checked below, on the actual costs).
    const body = { ...realtimeRequest, input: 'route this word '.repeat(100), max_output_tokens: 16, performance_profile: 'fast' };
    const holdMicros = await boundOf(body);
    const creditMicros = Math.floor(4.5 * holdMicros);
    const { key, accountId } = await openAccountAt(urls[0], ADMIN_KEY, 'replicas-tight', creditMicros / 1_000_000);
    engine.sluice.market!.resetStats();
    const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => callAt<Inference>(urls[i % 2], 'POST', '/v1/inference', key, body)));
    const ok = replies.filter((r) => r.status === 200);
    const denied = replies.filter((r) => r.status === 402);
    expect(replies.filter((r) => r.status !== 200 && r.status !== 402).map((r) => r.body)).toEqual([]);
    expect(ok.length).toBeGreaterThan(0);
    expect(denied.length).toBeGreaterThan(0);
    for (const r of denied) expect(r.body.error?.code).toBe('insufficient_balance');
    for (const r of ok) expect(r.body.billing.balance_remaining_usd).toBeGreaterThanOrEqual(0);
    // Only admitted requests reach a provider.
    expect(providerCalls()).toBe(ok.length);

    // The premise: two replicas that each admitted as many as the wallet holds (not counting
    // the other's holds) would together answer more than it covers.
    const cheapest = Math.min(...ok.map((r) => usdToMicros(r.body.billing.cost_usd)));
    expect(2 * Math.floor(creditMicros / holdMicros) * cheapest).toBeGreaterThan(creditMicros);

    const answered = ok.reduce((sum, r) => sum + usdToMicros(r.body.billing.cost_usd), 0);
    expect(answered).toBeLessThanOrEqual(creditMicros);
    const charges = await settledCharges(accountId, ok.length);
    expect(charges.map((e) => e.payload.objectId).sort()).toEqual(ok.map((r) => r.body.id).sort());
    expect(charges.reduce((sum, e) => sum + e.payload.amountMicros, 0)).toBe(answered);
    for (const e of charges) expect(e.payload.availableMicros).toBeGreaterThanOrEqual(0);
    for (const url of urls) {
      const balance = await balanceMicrosAt(url, key);
      expect(balance).toBeGreaterThanOrEqual(0);
      expect(balance).toBe(creditMicros - answered);
    }
  });
});
