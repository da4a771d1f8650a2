import { loadCatalogue } from '@sluice/catalogue';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EmbeddedSluice } from '../embedded-host';
import { until } from './http';

/**
 * The exchange as a customer sees it, end to end through the HTTP API with all five
 * services running: the same scenarios on the embedded engine and on Kafka + PostgreSQL.
 */
export interface ExchangeHarness {
  sluice: EmbeddedSluice;
  adminKey: string;
  /** Runs the operator commands `ledger:check` and `rebuild` against this engine; returns their exit codes. */
  operatorChecks: () => Promise<{ ledger: number; rebuild: number }>;
}

interface TaskView {
  status: string;
  task_id: string;
  total_items: number;
  objects: Array<{
    object_id: string;
    status: string;
    usage: { input_tokens: number; price_factor: number; output_tokens?: number };
    output?: { type: string; text: string };
    error?: { code: string; message: string } | null;
  }>;
}

const catalogue = loadCatalogue();

async function call<T>(base: string, method: string, path: string, key: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

/** What billing charges for a completed SLA item: base price × its quoted factor on actual tokens. */
export function quotedChargeMicros(model: string, inputTokens: number, outputTokens: number, priceFactor: number): number {
  const base = catalogue.models.find((m) => m.id === model)!.basePrice;
  const cost = Math.ceil((inputTokens * base.inputMicrosPerMillion + outputTokens * base.outputMicrosPerMillion) / 1_000_000);
  const factorPpm = Math.round(priceFactor * 1_000_000);
  return Math.ceil((cost * factorPpm) / 1_000_000);
}

const usdToMicros = (usd: number) => Math.round(usd * 1_000_000);

export const MIXED_BATCH = [
  { model: 'qwen-7b', input: 'Hello model, how are you?' },
  { model: 'openai:gpt-4o-mini', input: 'Summarise the water cycle in one sentence.' },
  { sla: 60, model: 'deepseek:r1-32b', input: 'Hello model, how are you?' },
  { sla: 60, model: 'openai:gpt-4o', input: 'Hello OpenAI, how are you?' },
  { sla: 60, model: 'llama-3.1-8b', input: 'Name three prime numbers.' },
  { sla: 1440, model: 'openai:gpt-4o', input: 'Describe the process of photosynthesis.' },
  { sla: 1440, model: 'deepseek:r1-32b', input: 'What are the main ingredients in a Margherita pizza?' },
  { sla: 1440, model: 'qwen-7b', input: 'Write a haiku about batch inference.' },
];

export function exchangeScenarios(start: () => Promise<ExchangeHarness>, stop: (h: ExchangeHarness) => Promise<void>) {
  let h: ExchangeHarness;
  let base: string;
  const admin = <T>(path: string, body: unknown) => call<T>(base, 'POST', path, h.adminKey, body);

  async function openAccount(name: string, creditUsd: number) {
    const created = await admin<{ account_id: string; api_key: string }>('/v0/admin/accounts', { name, credit_usd: creditUsd });
    expect(created.status).toBe(201);
    const key = created.body.api_key;
    if (creditUsd > 0) {
      await until('the credit to reach the wallet', async () => {
        const b = await call<{ current_balance_usd: number }>(base, 'GET', '/v1/balance', key);
        return b.body.current_balance_usd > 0 ? true : undefined;
      }, 30_000);
    }
    return { accountId: created.body.account_id, key };
  }

  const balanceMicros = async (key: string) =>
    usdToMicros((await call<{ current_balance_usd: number }>(base, 'GET', '/v1/balance', key)).body.current_balance_usd);

  async function runToCompletion(key: string, items: unknown[]): Promise<TaskView> {
    const submitted = await call<TaskView>(base, 'POST', '/v0/infer/', key, items);
    expect(submitted.status).toBe(200);
    expect(submitted.body.total_items).toBe(items.length);
    return until('every object to finish', async () => {
      const task = await call<TaskView>(base, 'GET', `/v0/infer/task/${submitted.body.task_id}/`, key);
      const objects = task.body.objects ?? [];
      const finished = objects.length === items.length && objects.every((o) => o.status === 'completed' || o.status === 'failed');
      return finished ? task.body : undefined;
    }, 120_000);
  }

  function expectChargedAsQuoted(task: TaskView, creditMicros: number, balance: number) {
    const charges = task.objects.map((o, i) =>
      quotedChargeMicros(catalogue.models.find((m) => m.id === MIXED_BATCH[i].model || m.aliases.includes(MIXED_BATCH[i].model))!.id, o.usage.input_tokens, o.usage.output_tokens ?? 0, o.usage.price_factor),
    );
    expect(balance).toBe(creditMicros - charges.reduce((a, b) => a + b, 0));
  }

  beforeAll(async () => {
    h = await start();
    base = h.sluice.url;
  });
  afterAll(async () => {
    if (h) await stop(h);
  });

  it('runs a mixed batch (no SLA, 60 min, 1 day) to completion and charges exactly the quoted prices', async () => {
    const { key } = await openAccount('mixed', 5);
    const submitted = await call<TaskView>(base, 'POST', '/v0/infer/', key, MIXED_BATCH);
    expect(submitted.body).toMatchObject({ status: 'submitted', total_items: MIXED_BATCH.length });
    const factors = submitted.body.objects.map((o) => o.usage.price_factor);
    expect(factors.slice(0, 2)).toEqual([1, 1]);
    expect(Math.max(...factors.slice(5))).toBeLessThan(Math.min(...factors.slice(2, 5)));
    expect(submitted.body.objects.slice(0, 2).map((o) => o.status)).toEqual(['completed', 'completed']);
    expect(submitted.body.objects[0].output?.text.length).toBeGreaterThan(0);

    const task = await until('the task to complete', async () => {
      const t = await call<TaskView>(base, 'GET', `/v0/infer/task/${submitted.body.task_id}`, key);
      return t.body.status === 'completed' && t.body.objects.every((o) => o.status === 'completed') ? t.body : undefined;
    }, 120_000);
    for (const o of task.objects) {
      expect(o.usage.output_tokens).toBeGreaterThan(0);
      expect(o.output?.type).toBe('text');
    }
    const one = await call<{ status: string; usage: { output_tokens: number } }>(base, 'GET', `/v0/infer/object/${task.objects[6].object_id}/`, key);
    expect(one.body).toMatchObject({ status: 'completed', usage: { output_tokens: task.objects[6].usage.output_tokens } });
    await sleep(500);
    expectChargedAsQuoted(task, usdToMicros(5), await balanceMicros(key));
  });

  it('completes the same batch under 30% injected transient failures, each object charged once', async () => {
    const { key } = await openAccount('flaky', 5);
    const market = h.sluice.market!;
    for (const provider of Object.keys(market.providers)) market.setFailures(provider, { rate429: 0.15, rate5xx: 0.15 });
    try {
      const task = await runToCompletion(key, MIXED_BATCH);
      expect(task.objects.map((o) => o.error?.code ?? o.status)).toEqual(MIXED_BATCH.map(() => 'completed'));
      const failures = Object.values(market.stats()).reduce((n, s) => n + s.rateLimited + s.serverErrors, 0);
      expect(failures).toBeGreaterThan(0);
      await sleep(500);
      expectChargedAsQuoted(task, usdToMicros(5), await balanceMicros(key));
    } finally {
      for (const provider of Object.keys(market.providers)) market.setFailures(provider, { rate429: 0, rate5xx: 0 });
    }
  });

  it('fails the objects of an account with too little money and never overdraws it', async () => {
    const { key } = await openAccount('poor', 0.0002);
    const task = await runToCompletion(key, MIXED_BATCH.slice(2));
    const failed = task.objects.filter((o) => o.status === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    for (const o of failed) expect(o.error?.code).toBe('insufficient_balance');
    expect(await balanceMicros(key)).toBeGreaterThanOrEqual(0);
  });

  it("answers 404 for another account's task and object", async () => {
    const owner = await openAccount('owner', 1);
    const other = await openAccount('other', 1);
    const submitted = await call<TaskView>(base, 'POST', '/v0/infer/', owner.key, [{ sla: 60, model: 'qwen-7b', input: 'mine' }]);
    const task = await call<{ error: { code: string } }>(base, 'GET', `/v0/infer/task/${submitted.body.task_id}`, other.key);
    const object = await call<{ error: { code: string } }>(base, 'GET', `/v0/infer/object/${submitted.body.objects[0].object_id}`, other.key);
    expect([task.status, object.status]).toEqual([404, 404]);
    expect(task.body.error.code).toBe('not_found');
  });

  it('keeps books that balance, and read models that a replay of the log rebuilds identically', async () => {
    await sleep(1_000);
    expect(await h.operatorChecks()).toEqual({ ledger: 0, rebuild: 0 });
  });
}
