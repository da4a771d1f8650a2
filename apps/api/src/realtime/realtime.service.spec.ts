import { loadCatalogue } from '@sluice/catalogue';
import { Catalogue as Events, causedBy, createEvent, type EventOf } from '@sluice/events';
import { startServiceHarness, TEST_ADMIN_KEY, type ServiceHarness } from '@sluice/testing';
import { apiService } from '../service';

jest.setTimeout(90_000);

let harness: ServiceHarness;

interface Reply {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function call(method: string, path: string, key: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(`${harness.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

/** An account whose wallet billing reported at `usd`. */
async function fundedAccount(name: string, usd: number): Promise<{ accountId: string; key: string }> {
  const res = await call('POST', '/v0/admin/accounts', TEST_ADMIN_KEY, { name });
  const accountId: string = res.body.account_id;
  const micros = Math.round(usd * 1_000_000);
  await harness.bus.emit([createEvent(Events.WalletCredited, { accountId, amountMicros: micros, reference: `seed-${name}`, availableMicros: micros }, { correlationId: accountId })]);
  for (const until = Date.now() + 10_000; Date.now() < until; ) {
    const balance = await call('GET', '/v1/balance', res.body.api_key);
    if (balance.body.current_balance_usd === usd) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  return { accountId, key: res.body.api_key };
}

const submittedFor = (accountId: string) => harness.events().filter((e): e is EventOf<'ObjectSubmitted'> => e.type === 'ObjectSubmitted' && e.payload.accountId === accountId);
const eventsOf = (objectId: string) => harness.events().filter((e) => 'objectId' in e.payload && e.payload.objectId === objectId);
const usdToMicros = (usd: number) => Math.round(usd * 1_000_000);
const balanceMicros = async (key: string) => usdToMicros((await call('GET', '/v1/balance', key)).body.current_balance_usd);
const chatCalls = () => Object.values(harness.market!.stats()).reduce((sum, s) => sum + s.chatCompletions, 0);
const catalogue = loadCatalogue();

/** What billing charges: the provider's list price on the tokens used, plus the 10% markup, rounded up. */
function expectedChargeMicros(providerId: string, usage: { input_tokens: number; output_tokens: number }): number {
  const price = catalogue.providers.find((p) => p.id === providerId)!.models.find((m) => m.model === 'qwen-7b')!.price;
  const cost = Math.ceil((usage.input_tokens * price.inputMicrosPerMillion + usage.output_tokens * price.outputMicrosPerMillion) / 1_000_000);
  return Math.ceil((cost * 11_000) / 10_000);
}

/** What billing publishes once it charged the object (the gateway's hold then ends). */
async function charge(objectId: string, accountId: string, amountMicros: number, availableMicros: number): Promise<void> {
  const submitted = submittedFor(accountId).find((e) => e.payload.objectId === objectId)!;
  await harness.bus.emit([createEvent(Events.Charged, { accountId, objectId, amountMicros, reservedMicros: amountMicros, availableMicros }, causedBy(submitted))]);
}

const body = { model: 'qwen2.5-7b-instruct', input: 'Summarize inference routing.', max_output_tokens: 64, customer_ref: 'order-1', metadata: { env: 'staging' } };

beforeAll(async () => {
  harness = await startServiceHarness(apiService, { http: true });
});

afterAll(async () => {
  await harness?.stop();
});

describe('POST /v1/inference validation', () => {
  it('names each bad field with 422 validation_error and submits nothing', async () => {
    const { accountId, key } = await fundedAccount('validation', 1);
    const res = await call('POST', '/v1/inference', key, { model: '', max_output_tokens: 0, performance_profile: 'turbo', metadata: 'x' });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('validation_error');
    expect(res.body.error.fields.map((f: { field: string }) => f.field).sort()).toEqual(['input', 'max_output_tokens', 'metadata', 'model', 'performance_profile']);
    expect(submittedFor(accountId)).toEqual([]);
  });

  it('answers 404 model_not_found for an unknown alias and 422 for max_output_tokens above the model cap', async () => {
    const { key } = await fundedAccount('caps', 1);
    const unknown = await call('POST', '/v1/inference', key, { ...body, model: 'nope-1b' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('model_not_found');
    const tooMany = await call('POST', '/v1/inference', key, { ...body, max_output_tokens: 9_000 });
    expect(tooMany.status).toBe(422);
    expect(tooMany.body.error.fields).toEqual([{ field: 'max_output_tokens', message: 'qwen-7b produces at most 8192 output tokens' }]);
  });

  it('refuses text PostgreSQL cannot store and metadata nested 3,000 deep with 422 naming the field, before any provider runs', async () => {
    const { key } = await fundedAccount('unstorable', 1);
    harness.market!.resetStats();
    const nul = await call('POST', '/v1/inference', key, { ...body, metadata: { note: 'a\u0000b' } });
    expect(nul.status).toBe(422);
    expect(nul.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['metadata']);
    const deep = JSON.parse(`${'{"a":'.repeat(3_000)}1${'}'.repeat(3_000)}`);
    const nested = await call('POST', '/v1/inference', key, { ...body, metadata: deep });
    expect(nested.status).toBe(422);
    expect(nested.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['metadata']);
    expect(chatCalls()).toBe(0);
  });

  it('answers 402 insufficient_balance before any provider runs when the wallet cannot cover the bound', async () => {
    const { accountId, key } = await fundedAccount('poor', 0.000001);
    harness.market!.resetStats();
    const res = await call('POST', '/v1/inference', key, body);
    expect(res.status).toBe(402);
    expect(res.body.error.code).toBe('insufficient_balance');
    expect(chatCalls()).toBe(0);
    expect(submittedFor(accountId)).toEqual([]);
  });
});

describe('POST /v1/inference at the gateway', () => {
  it('answers from the provider before billing runs, with the charge and the balance that counts it, and records the story on the log', async () => {
    const { accountId, key } = await fundedAccount('happy', 5);
    const res = await call('POST', '/v1/inference', key, { ...body, performance_profile: 'fast', routing_strategy: 'prefer_live', max_price_usd: 0.02, max_latency_ms: 800 });
    expect(res.status).toBe(200);
    const cost = expectedChargeMicros('swift', res.body.usage);
    expect(res.body).toMatchObject({ object: 'inference', model: 'qwen2.5-7b-instruct', status: 'success', billing: { cost_usd: cost / 1e6, balance_remaining_usd: (5_000_000 - cost) / 1e6 } });
    expect(res.body.output_text.length).toBeGreaterThan(0);
    expect(res.body.performance).toEqual({ latency_ms: expect.any(Number), provider_latency_ms: expect.any(Number), estimated_latency_ms: expect.any(Number) });
    expect(res.body.performance.estimated_latency_ms).toBeLessThanOrEqual(800);
    // Nobody charged it yet (no billing here): the balance already counts it through the hold.
    expect(await balanceMicros(key)).toBe(5_000_000 - cost);

    const id = res.body.id;
    await harness.waitFor('ObjectCompleted', (e) => e.payload.objectId === id);
    expect(eventsOf(id).map((e) => e.type)).toEqual(['ObjectSubmitted', 'QuoteAccepted', 'ObjectCompleted']);
    const [submitted, accepted, completed] = eventsOf(id) as [EventOf<'ObjectSubmitted'>, EventOf<'QuoteAccepted'>, EventOf<'ObjectCompleted'>];
    expect(submitted.payload).toMatchObject({
      model: 'qwen-7b', slaMinutes: null, maxOutputTokens: 64, customerRef: 'order-1', metadata: { env: 'staging' }, gateway: true,
      pricing: { kind: 'realtime', markupBps: 1_000 }, routing: { profile: 'fast', strategy: 'prefer_live', maxPriceMicros: 20_000, maxLatencyMs: 800 },
    });
    expect(accepted.payload).toMatchObject({ providerId: 'swift', estimatedLatencyMs: res.body.performance.estimated_latency_ms });
    expect(completed.payload).toMatchObject({ providerId: 'swift', inputTokens: res.body.usage.input_tokens, outputTokens: res.body.usage.output_tokens });

    // Billing's charge is projected: the hold ends, and the balance stays the same (counted once).
    await charge(id, accountId, cost, 5_000_000 - cost);
    await new Promise((r) => setTimeout(r, 300));
    expect(await balanceMicros(key)).toBe(5_000_000 - cost);

    const read = await call('GET', `/v1/inference/${id}`, key);
    expect(read.body).toMatchObject({ id, status: 'success', customer_ref: 'order-1', metadata: { env: 'staging' }, billing: { cost_usd: cost / 1e6 } });
    const other = await fundedAccount('other', 1);
    expect((await call('GET', `/v1/inference/${id}`, other.key)).status).toBe(404);
  });

  it("runs the seed's own example request (max_latency_ms 800) within its caps", async () => {
    const { key } = await fundedAccount('seed-example', 10);
    const seed = {
      model: 'llama-3.1-8b', input: 'Summarize inference routing in two sentences.', max_output_tokens: 256, performance_profile: 'balanced',
      routing_strategy: 'lowest_cost', customer_ref: 'order-9921', max_price_usd: 0.02, max_latency_ms: 800, metadata: { env: 'staging' },
    };
    const res = await call('POST', '/v1/inference', key, seed);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ object: 'inference', model: 'llama-3.1-8b', status: 'success' });
    expect(res.body.performance.estimated_latency_ms).toBeLessThanOrEqual(800);
    expect(res.body.billing.cost_usd).toBeLessThanOrEqual(0.02);
  });

  it('answers 503 when every provider fails, releases the hold and records the failure', async () => {
    const { accountId, key } = await fundedAccount('all-fail', 1);
    const ids = Object.keys(harness.market!.stats());
    for (const id of ids) harness.market!.setFailures(id, { rate5xx: 1 });
    try {
      const res = await call('POST', '/v1/inference', key, body, { 'idempotency-key': 'fails' });
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('all_providers_failed');
      expect(await balanceMicros(key)).toBe(1_000_000);
      // Recorded off the request's path: the relay publishes it after the answer.
      const submitted = await harness.waitFor('ObjectSubmitted', (e) => e.payload.accountId === accountId);
      await harness.waitFor('ObjectAbandoned', (e) => e.payload.objectId === submitted.payload.objectId);
      expect(eventsOf(submitted.payload.objectId).map((e) => e.type)).toEqual(['ObjectSubmitted', 'QuoteAccepted', 'ObjectFailed', 'ObjectAbandoned']);
    } finally {
      for (const id of ids) harness.market!.setFailures(id, { rate5xx: 0 });
    }
    // The key of a failed request is free again.
    expect((await call('POST', '/v1/inference', key, body, { 'idempotency-key': 'fails' })).status).toBe(200);
  });
});

describe('Idempotency-Key', () => {
  it('runs concurrent retries once and replays the stored response; a different body is refused', async () => {
    const { accountId, key } = await fundedAccount('idempotent', 5);
    harness.market!.resetStats();
    const headers = { 'idempotency-key': 'order-9921' };
    const replies = await Promise.all(Array.from({ length: 10 }, () => call('POST', '/v1/inference', key, body, headers)));
    expect(replies.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
    expect(replies.filter((r) => r.headers.get('idempotent-replay') === 'true')).toHaveLength(9);
    expect(chatCalls()).toBe(1);

    const { metadata, ...rest } = body;
    const reordered = { metadata, ...rest };
    const again = await call('POST', '/v1/inference', key, reordered, headers);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(replies[0].body);
    const conflict = await call('POST', '/v1/inference', key, { ...body, input: 'something else' }, headers);
    expect(conflict.status).toBe(422);
    expect(conflict.body.error.code).toBe('idempotency_key_reused_with_different_request');
    await harness.waitFor('ObjectCompleted', (e) => e.payload.objectId === replies[0].body.id);
    expect(submittedFor(accountId)).toHaveLength(1);
    expect(chatCalls()).toBe(1);
  });

  it('scopes keys per account', async () => {
    const a = await fundedAccount('scope-a', 5);
    const b = await fundedAccount('scope-b', 5);
    const headers = { 'idempotency-key': 'shared' };
    const [ra, rb] = await Promise.all([call('POST', '/v1/inference', a.key, body, headers), call('POST', '/v1/inference', b.key, { ...body, input: 'b' }, headers)]);
    expect([ra.status, rb.status]).toEqual([200, 200]);
    expect(ra.body.id).not.toBe(rb.body.id);
  });
});

