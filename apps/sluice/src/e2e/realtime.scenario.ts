import { setTimeout as sleep } from 'node:timers/promises';
import { loadCatalogue } from '@sluice/catalogue';
import type { EmbeddedSluice } from '../embedded-host';

/** The exchange's markup on real-time requests (the API's default). */
const MARKUP_BPS = 1_000;
const catalogue = loadCatalogue();

export interface RealtimeHarness {
  sluice: EmbeddedSluice;
  adminKey: string;
}

export interface Inference {
  id: string;
  status: string;
  model: string;
  output_text: string;
  usage: { input_tokens: number; output_tokens: number; total_tokens: number };
  billing: { cost_usd: number; balance_remaining_usd: number; total_tokens: number };
  error?: { code: string; message: string };
  customer_ref?: string;
  metadata?: unknown;
}

export const usdToMicros = (usd: number) => Math.round(usd * 1_000_000);

/** One call to the Sluice at `baseUrl` with `key`; the JSON body as it came. */
export async function callAt<T>(baseUrl: string, method: string, path: string, key: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as T & { error?: { code: string; message: string } } };
}

/** Creates an account with `creditUsd` and waits until GET /v1/balance shows the credit. */
export async function openAccountAt(baseUrl: string, adminKey: string, name: string, creditUsd: number): Promise<{ key: string; accountId: string }> {
  const created = await callAt<{ api_key: string; account_id: string }>(baseUrl, 'POST', '/v0/admin/accounts', adminKey, { name, credit_usd: creditUsd });
  expect(created.status).toBe(201);
  const key = created.body.api_key;
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(50)) {
    const balance = await callAt<{ current_balance_usd: number }>(baseUrl, 'GET', '/v1/balance', key);
    if (balance.body.current_balance_usd === creditUsd) return { key, accountId: created.body.account_id };
  }
  throw new Error(`the credit of ${name} never reached the wallet`);
}

/** What billing charges: the provider's list price on the tokens used, plus the markup, rounded up. */
export function expectedChargeMicros(providerId: string, usage: Inference['usage']): number {
  const price = catalogue.providers.find((p) => p.id === providerId)!.models.find((m) => m.model === 'qwen-7b')!.price;
  const cost = Math.ceil((usage.input_tokens * price.inputMicrosPerMillion + usage.output_tokens * price.outputMicrosPerMillion) / 1_000_000);
  return Math.ceil((cost * (10_000 + MARKUP_BPS)) / 10_000);
}

/** The request the scenarios send (qwen-7b under its OpenAI-style alias). */
export const realtimeRequest = { model: 'qwen2.5-7b-instruct', input: 'Summarize inference routing in two sentences.', max_output_tokens: 64 };

/**
 * POST /v1/inference as a customer sees it with all five services and the demo market
 * (latency scale 0): the same scenarios on the embedded engine and on Kafka + PostgreSQL.
 */
export function realtimeScenarios(start: () => Promise<RealtimeHarness>, stop: (h: RealtimeHarness) => Promise<void>) {
  let h: RealtimeHarness;
  let sluice: EmbeddedSluice;
  let adminKey: string;

  beforeAll(async () => {
    h = await start();
    sluice = h.sluice;
    adminKey = h.adminKey;
  });
  afterAll(async () => {
    if (h) await stop(h);
  });

  const call = <T>(method: string, path: string, key: string, body?: unknown, headers: Record<string, string> = {}) =>
    callAt<T>(sluice.url, method, path, key, body, headers);

  const openAccount = async (name: string, creditUsd: number): Promise<string> => (await openAccountAt(sluice.url, adminKey, name, creditUsd)).key;

  const balanceMicros = async (key: string) => usdToMicros((await call<{ current_balance_usd: number }>('GET', '/v1/balance', key)).body.current_balance_usd);

  /** Chat completions each provider answered since the last reset. */
  function calls(): Record<string, number> {
    return Object.fromEntries(Object.entries(sluice.market!.stats()).map(([id, s]) => [id, s.chatCompletions]));
  }

  const request = realtimeRequest;

  it.each([
    ['economy', 'bargain'],
    ['balanced', 'midway'],
    ['fast', 'swift'],
  ])('routes the %s profile to %s and charges its cost plus the markup, once', async (profile, provider) => {
    const key = await openAccount(`profile-${profile}`, 1);
    sluice.market!.resetStats();
    const res = await call<Inference>('POST', '/v1/inference', key, { ...request, performance_profile: profile, customer_ref: `ref-${profile}`, metadata: { profile } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ object: 'inference', model: 'qwen2.5-7b-instruct', status: 'success' });
    expect(res.body.output_text.length).toBeGreaterThan(0);
    expect(calls()[provider]).toBe(1);
    expect(Object.values(calls()).reduce((a, b) => a + b, 0)).toBe(1);
    const charge = expectedChargeMicros(provider, res.body.usage);
    expect(usdToMicros(res.body.billing.cost_usd)).toBe(charge);
    expect(usdToMicros(res.body.billing.balance_remaining_usd)).toBe(1_000_000 - charge);
    expect(await balanceMicros(key)).toBe(1_000_000 - charge);
    const read = await call<Inference>('GET', `/v1/inference/${res.body.id}`, key);
    expect(read.body).toMatchObject({ id: res.body.id, status: 'success', customer_ref: `ref-${profile}`, metadata: { profile } });
  });

  it('rejects a price cap below every quote before any provider runs, and charges nothing', async () => {
    const key = await openAccount('price-cap', 1);
    sluice.market!.resetStats();
    const res = await call<Inference>('POST', '/v1/inference', key, { ...request, max_price_usd: 0.000001 });
    expect(res.status).toBe(422);
    expect(res.body.error?.code).toBe('price_cap_exceeded');
    expect(Object.values(calls()).reduce((a, b) => a + b, 0)).toBe(0);
    await sleep(300);
    expect(await balanceMicros(key)).toBe(1_000_000);
  });

  it('drops quotes over max_latency_ms (economy then takes midway), and rejects a cap no provider meets', async () => {
    const key = await openAccount('latency-cap', 1);
    sluice.market!.resetStats();
    // Catalogue estimates for 64 output tokens: swift ~227 ms, midway ~1196 ms, bargain ~4080 ms.
    const filtered = await call<Inference>('POST', '/v1/inference', key, { ...request, performance_profile: 'economy', max_latency_ms: 1_500 });
    expect(filtered.status).toBe(200);
    expect(calls()).toMatchObject({ midway: 1, bargain: 0 });
    const rejected = await call<Inference>('POST', '/v1/inference', key, { ...request, max_latency_ms: 10 });
    expect(rejected.status).toBe(422);
    expect(rejected.body.error?.code).toBe('latency_cap_exceeded');
    expect(Object.values(calls()).reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('fails over to the next acceptable provider when the chosen one fails', async () => {
    const key = await openAccount('failover', 1);
    sluice.market!.resetStats();
    sluice.market!.setFailures('swift', { rate5xx: 1 });
    try {
      const res = await call<Inference>('POST', '/v1/inference', key, { ...request, performance_profile: 'fast' });
      expect(res.status).toBe(200);
      const stats = sluice.market!.stats();
      expect(stats.swift.serverErrors).toBeGreaterThan(0);
      const served = Object.entries(stats).filter(([, s]) => s.succeeded > 0).map(([id]) => id);
      expect(served).toHaveLength(1);
      expect(served[0]).not.toBe('swift');
      expect(usdToMicros(res.body.billing.cost_usd)).toBe(expectedChargeMicros(served[0], res.body.usage));
    } finally {
      sluice.market!.setFailures('swift', { rate5xx: 0 });
    }
  });

  it('runs 50 concurrent requests with one Idempotency-Key once, and refuses the key with another body', async () => {
    const key = await openAccount('idempotent', 1);
    sluice.market!.resetStats();
    const headers = { 'idempotency-key': 'order-9921' };
    const replies = await Promise.all(Array.from({ length: 50 }, () => call<Inference>('POST', '/v1/inference', key, request, headers)));
    expect(replies.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
    expect(Object.values(calls()).reduce((a, b) => a + b, 0)).toBe(1);
    await sleep(300);
    expect(await balanceMicros(key)).toBe(1_000_000 - usdToMicros(replies[0].body.billing.cost_usd));

    const conflict = await call<Inference>('POST', '/v1/inference', key, { ...request, input: 'another question' }, headers);
    expect(conflict.status).toBe(422);
    expect(conflict.body.error?.code).toBe('idempotency_key_reused_with_different_request');
  });

  it('answers 402 to some of 20 concurrent requests that together exceed the wallet; the balance never goes negative', async () => {
    // ~300 input tokens: each answer costs at least ~30 micro-dollars, its bound ~75, so the
    // wallet covers a few at a time and not 20 in any order.
    const creditUsd = 0.0002;
    const key = await openAccount('tight', creditUsd);
    const body = { ...request, input: 'route this word '.repeat(100) };
    const replies = await Promise.all(Array.from({ length: 20 }, () => call<Inference>('POST', '/v1/inference', key, body)));
    const ok = replies.filter((r) => r.status === 200);
    const denied = replies.filter((r) => r.status === 402);
    expect(ok.length + denied.length).toBe(20);
    expect(ok.length).toBeGreaterThan(0);
    expect(denied.length).toBeGreaterThan(0);
    for (const r of denied) expect(r.body.error?.code).toBe('insufficient_balance');
    for (const r of ok) expect(r.body.billing.balance_remaining_usd).toBeGreaterThanOrEqual(0);
    await sleep(500);
    const charged = ok.reduce((sum, r) => sum + usdToMicros(r.body.billing.cost_usd), 0);
    expect(await balanceMicros(key)).toBe(usdToMicros(creditUsd) - charged);
  });
}
