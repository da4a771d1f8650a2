import { until } from './http';
import { callAt, openAccountAt, realtimeRequest, usdToMicros, type Inference } from './realtime.scenario';
import { startEmbeddedForTest, type TestEngine } from './test-engine';

jest.setTimeout(180_000);

const ADMIN_KEY = 'sk_admin_e2e_wallet_history_0123456';

interface Transaction {
  id: string;
  type: 'credit' | 'reservation' | 'charge' | 'release';
  amount_usd: number;
  balance_before_usd: number;
  balance_after_usd: number;
  charged_usd: number | null;
  reserved_usd: number | null;
  object_id: string | null;
}
interface Page<T> {
  object: 'list';
  data: T[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}
interface UsageFigures {
  requests: number;
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  cost_usd: number;
}
interface Usage {
  data: (UsageFigures & { model?: string; day?: string })[];
  total: UsageFigures;
}
interface ApiKey {
  id: string;
  prefix: string;
  state: string;
  last_used_at: string | null;
  [field: string]: unknown;
}
interface Task {
  task_id: string;
  objects: { object_id: string; status: string; usage: { input_tokens: number; output_tokens?: number } }[];
}

describe('the wallet history end to end on the embedded engine: transactions, usage, api-keys', () => {
  let engine: TestEngine;
  let base: string;
  const call = <T>(method: string, path: string, key: string, body?: unknown) => callAt<T>(base, method, path, key, body);

  /** Every page of a list, following `after` from `last_id`, `limit` at a time. */
  async function everyPage<T extends { id: string }>(path: string, key: string, limit: number): Promise<T[]> {
    const all: T[] = [];
    for (let after: string | null = null; ; ) {
      const page: { status: number; body: Page<T> } = await call<Page<T>>('GET', `${path}?limit=${limit}${after ? `&after=${after}` : ''}`, key);
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(limit);
      all.push(...page.body.data);
      if (!page.body.has_more) return all;
      after = page.body.last_id;
    }
  }

  let funded: { key: string; accountId: string };
  let other: { key: string; accountId: string };
  let task: Task;
  let inference: Inference;
  let settled: Transaction[];

  beforeAll(async () => {
    engine = await startEmbeddedForTest({ name: 'wallet-history', adminKey: ADMIN_KEY, env: { SLUICE_TIME_SCALE: '1' } });
    base = engine.sluice.url;
    funded = await openAccountAt(base, ADMIN_KEY, 'wallet-history', 1);
    other = await openAccountAt(base, ADMIN_KEY, 'wallet-history-other', 2);

    const submitted = await call<Task>('POST', '/v0/infer/', funded.key, [{ model: 'qwen-7b', input: 'Hello model, how are you?' }, { model: 'qwen-7b', input: 'And a second item.' }]);
    expect(submitted.status).toBe(200);
    task = await until('the batch task to finish', async () => {
      const t = await call<Task>('GET', `/v0/infer/task/${submitted.body.task_id}/`, funded.key);
      return t.body.objects?.every((o) => o.status === 'completed') ? t.body : undefined;
    }, 60_000);
    const served = await call<Inference>('POST', '/v1/inference', funded.key, realtimeRequest);
    expect(served.status).toBe(200);
    inference = served.body;

    const objectIds = [...task.objects.map((o) => o.object_id), inference.id];
    settled = await until('every charge to be projected and the balance to show it', async () => {
      const all = await everyPage<Transaction>('/v1/transactions', funded.key, 100);
      const charged = new Set(all.filter((t) => t.type === 'charge').map((t) => t.object_id));
      const balance = (await call<{ current_balance_usd: number }>('GET', '/v1/balance', funded.key)).body.current_balance_usd;
      return objectIds.every((id) => charged.has(id)) && all[0]?.balance_after_usd === balance ? all : undefined;
    }, 60_000);
  });

  afterAll(async () => {
    await engine?.stop();
  });

  it('lists the credit, each reservation and each charge, newest first, chained from 0 to GET /v1/balance', async () => {
    const oldestFirst = [...settled].reverse();
    expect(oldestFirst[0]).toMatchObject({ type: 'credit', amount_usd: 1, balance_before_usd: 0, balance_after_usd: 1, object_id: null });
    const objectIds = [...task.objects.map((o) => o.object_id), inference.id];
    for (const id of objectIds) {
      expect(oldestFirst.filter((t) => t.object_id === id).map((t) => t.type)).toEqual(['reservation', 'charge']);
    }
    oldestFirst.slice(1).forEach((t, i) => expect(t.balance_before_usd).toBe(oldestFirst[i].balance_after_usd));
    for (const t of oldestFirst) expect(usdToMicros(t.amount_usd)).toBe(usdToMicros(t.balance_after_usd) - usdToMicros(t.balance_before_usd));
    const charges = oldestFirst.filter((t) => t.type === 'charge');
    for (const c of charges) expect(usdToMicros(c.amount_usd)).toBe(usdToMicros(c.reserved_usd!) - usdToMicros(c.charged_usd!));
    const spent = charges.reduce((sum, c) => sum + usdToMicros(c.charged_usd!), 0);
    expect(spent).toBeGreaterThan(0);
    expect(usdToMicros(settled[0].balance_after_usd)).toBe(1_000_000 - spent);
    const balance = await call<{ current_balance_usd: number }>('GET', '/v1/balance', funded.key);
    expect(usdToMicros(balance.body.current_balance_usd)).toBe(1_000_000 - spent);
    // The real-time answer's charge is the one billing made.
    expect(usdToMicros(charges.find((c) => c.object_id === inference.id)!.charged_usd!)).toBe(usdToMicros(inference.billing.cost_usd));
  });

  it('pages through the transactions without a duplicate or a gap', async () => {
    for (const limit of [1, 2, 3]) {
      const paged = await everyPage<Transaction>('/v1/transactions', funded.key, limit);
      expect(paged.map((t) => t.id)).toEqual(settled.map((t) => t.id));
    }
    const first = await call<Page<Transaction>>('GET', '/v1/transactions?limit=2', funded.key);
    expect(first.body).toMatchObject({ has_more: true, first_id: settled[0].id, last_id: settled[1].id });
  });

  it('sums usage by model and by day to the charges, the real-time request included', async () => {
    const charges = settled.filter((t) => t.type === 'charge');
    const spent = charges.reduce((sum, c) => sum + usdToMicros(c.charged_usd!), 0);
    const inputTokens = task.objects.reduce((sum, o) => sum + o.usage.input_tokens, 0) + inference.usage.input_tokens;
    const outputTokens = task.objects.reduce((sum, o) => sum + (o.usage.output_tokens ?? 0), 0) + inference.usage.output_tokens;
    const window = `start_time=${Math.floor(Date.now() / 1000) - 86_400}&end_time=${new Date(Date.now() + 86_400_000).toISOString()}`;
    for (const groupBy of ['model', 'day'] as const) {
      const usage = await call<Usage>('GET', `/v1/usage?${window}&group_by=${groupBy}`, funded.key);
      expect(usage.status).toBe(200);
      expect(usage.body.total).toEqual({ requests: 3, input_tokens: inputTokens, output_tokens: outputTokens, total_tokens: inputTokens + outputTokens, cost_usd: expect.any(Number) });
      expect(usdToMicros(usage.body.total.cost_usd)).toBe(spent);
      expect(usage.body.data.reduce((sum, b) => sum + usdToMicros(b.cost_usd), 0)).toBe(spent);
      expect(usage.body.data.reduce((sum, b) => sum + b.requests, 0)).toBe(3);
      for (const bucket of usage.body.data) expect(groupBy === 'model' ? bucket.model : bucket.day).toEqual(expect.any(String));
    }
    const before = await call<Usage>('GET', `/v1/usage?start_time=2000-01-01&end_time=2000-01-02`, funded.key);
    expect(before.body).toMatchObject({ data: [], total: { requests: 0, cost_usd: 0 } });
    const backwards = await call<Usage>('GET', `/v1/usage?start_time=2000-01-02&end_time=2000-01-01`, funded.key);
    expect(backwards.status).toBe(422);
  });

  it('lists the keys without their secrets, with their last use, paged', async () => {
    const created = await call<{ id: string; key: string }>('POST', '/v1/api-keys', funded.key, { rpm_limit: 600 });
    expect(created.status).toBe(201);
    const keys = await until('the first key to show its last use', async () => {
      const all = await everyPage<ApiKey>('/v1/api-keys', funded.key, 1);
      return all.find((k) => k.last_used_at !== null && k.id !== created.body.id) ? all : undefined;
    }, 10_000);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatchObject({ id: created.body.id, state: 'active', rpm_limit: 600, last_used_at: null, prefix: created.body.key.slice(0, 12) });
    expect(keys[1]).toMatchObject({ state: 'active', prefix: funded.key.slice(0, 12) });
    const text = JSON.stringify(keys);
    expect(text).not.toContain(funded.key);
    expect(text).not.toContain(created.body.key);
    for (const k of keys) expect(k).not.toHaveProperty('key');

    await call('POST', `/v1/api-keys/${created.body.id}/deactivate`, funded.key);
    const after = await call<Page<ApiKey>>('GET', '/v1/api-keys', funded.key);
    expect(after.body.data.find((k) => k.id === created.body.id)).toMatchObject({ state: 'inactive', active: false, deactivated_at: expect.any(String) });
  });

  it("never shows another account's transactions, usage or keys", async () => {
    const theirs = await everyPage<Transaction>('/v1/transactions', other.key, 100);
    expect(theirs).toEqual([expect.objectContaining({ type: 'credit', amount_usd: 2, balance_after_usd: 2 })]);
    const ids = new Set(settled.map((t) => t.id));
    expect(theirs.filter((t) => ids.has(t.id))).toEqual([]);
    const usage = await call<Usage>('GET', '/v1/usage?start_time=0', other.key);
    expect(usage.body.total.requests).toBe(0);
    const keys = await everyPage<ApiKey>('/v1/api-keys', other.key, 100);
    expect(keys).toHaveLength(1);
    expect(keys[0].prefix).toBe(other.key.slice(0, 12));
    // A cursor of the other account is not found rather than a way in.
    expect((await call('GET', `/v1/transactions?after=${settled[0].id}`, other.key)).status).toBe(404);
    expect((await call('GET', `/v1/api-keys?after=${keys[0].id}`, funded.key)).status).toBe(404);
  });
});
