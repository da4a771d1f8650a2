import { Catalogue as Events, causedBy, createEvent, type EventOf, type SluiceEvent } from '@sluice/events';
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

/** What the router and billing would publish for a completed object. */
async function completeAndCharge(submitted: EventOf<'ObjectSubmitted'>, chargedMicros: number, availableMicros: number): Promise<void> {
  const p = submitted.payload;
  const events: SluiceEvent[] = [
    createEvent(Events.ObjectCompleted, {
      objectId: p.objectId, accountId: p.accountId, attempt: 1, providerId: 'midway', mode: 'live',
      inputTokens: p.inputTokens, outputTokens: 20, output: { text: 'routed answer' }, providerCostMicros: chargedMicros, latencyMs: 120,
    }, causedBy(submitted)),
    createEvent(Events.Charged, { accountId: p.accountId, objectId: p.objectId, amountMicros: chargedMicros, reservedMicros: chargedMicros * 2, availableMicros }, causedBy(submitted)),
  ];
  await harness.bus.emit(events);
}

const body = { model: 'qwen2.5-7b-instruct', input: 'Summarize inference routing.', max_output_tokens: 64, customer_ref: 'order-1', metadata: { env: 'staging' } };

beforeAll(async () => {
  harness = await startServiceHarness(apiService, { market: false, http: true });
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

  it('answers 402 insufficient_balance before anything runs when the wallet cannot cover the bound', async () => {
    const { accountId, key } = await fundedAccount('poor', 0.000001);
    const res = await call('POST', '/v1/inference', key, body);
    expect(res.status).toBe(402);
    expect(res.body.error.code).toBe('insufficient_balance');
    expect(submittedFor(accountId)).toEqual([]);
  });
});

describe('POST /v1/inference', () => {
  it('submits a real-time object with routing and the customer fields, and answers once it is charged', async () => {
    const { accountId, key } = await fundedAccount('happy', 5);
    const pending = call('POST', '/v1/inference', key, { ...body, performance_profile: 'fast', routing_strategy: 'prefer_live', max_price_usd: 0.02, max_latency_ms: 800 });
    const submitted = await harness.waitFor('ObjectSubmitted', (e) => e.payload.accountId === accountId);
    expect(submitted.payload).toMatchObject({
      model: 'qwen-7b', slaMinutes: null, maxOutputTokens: 64, customerRef: 'order-1', metadata: { env: 'staging' },
      pricing: { kind: 'realtime', markupBps: 1_000 },
      routing: { profile: 'fast', strategy: 'prefer_live', maxPriceMicros: 20_000, maxLatencyMs: 800 },
    });
    await completeAndCharge(submitted, 41, 4_999_959);
    const res = await pending;
    expect(res.status).toBe(200);
    const tokens = { input_tokens: submitted.payload.inputTokens, output_tokens: 20, total_tokens: submitted.payload.inputTokens + 20 };
    expect(res.body).toEqual({
      id: submitted.payload.objectId, object: 'inference', model: 'qwen2.5-7b-instruct', output_text: 'routed answer', status: 'success',
      usage: tokens, performance: { latency_ms: expect.any(Number) },
      billing: {
        cost_usd: 0.000041, cost_display: '$0.000041', ...tokens,
        cost_per_million_tokens_usd: Number((41 / tokens.total_tokens).toFixed(6)), balance_remaining_usd: 4.999959,
      },
    });
    const read = await call('GET', `/v1/inference/${submitted.payload.objectId}`, key);
    expect(read.body).toMatchObject({ id: submitted.payload.objectId, status: 'success', customer_ref: 'order-1', metadata: { env: 'staging' }, billing: { cost_usd: 0.000041 } });
    const other = await fundedAccount('other', 1);
    expect((await call('GET', `/v1/inference/${submitted.payload.objectId}`, other.key)).status).toBe(404);
  });

  it.each([
    ['price_cap_exceeded', 422],
    ['latency_cap_exceeded', 422],
    ['no_provider_available', 503],
    ['all_providers_failed', 503],
  ])('maps an abandonment with %s to HTTP %i with that code', async (code, status) => {
    const { accountId, key } = await fundedAccount(`abandon-${code}`, 5);
    const pending = call('POST', '/v1/inference', key, body);
    const submitted = await harness.waitFor('ObjectSubmitted', (e) => e.payload.accountId === accountId);
    const { objectId } = submitted.payload;
    await harness.bus.emit([createEvent(Events.ObjectAbandoned, { objectId, accountId, attempts: 1, code, message: `because ${code}` }, causedBy(submitted))]);
    const res = await pending;
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
  });
});

describe('Idempotency-Key', () => {
  it('runs concurrent retries once and replays the stored response; a different body is refused', async () => {
    const { accountId, key } = await fundedAccount('idempotent', 5);
    const headers = { 'idempotency-key': 'order-9921' };
    const first = Array.from({ length: 10 }, () => call('POST', '/v1/inference', key, body, headers));
    const submitted = await harness.waitFor('ObjectSubmitted', (e) => e.payload.accountId === accountId);
    await completeAndCharge(submitted, 50, 4_999_950);
    const replies = await Promise.all(first);
    expect(replies.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(new Set(replies.map((r) => r.body.id))).toEqual(new Set([submitted.payload.objectId]));
    expect(replies.filter((r) => r.headers.get('idempotent-replay') === 'true')).toHaveLength(9);

    const { metadata, ...rest } = body;
    const reordered = { metadata, ...rest };
    const again = await call('POST', '/v1/inference', key, reordered, headers);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(replies[0].body);
    const conflict = await call('POST', '/v1/inference', key, { ...body, input: 'something else' }, headers);
    expect(conflict.status).toBe(422);
    expect(conflict.body.error.code).toBe('idempotency_key_reused_with_different_request');
    expect(submittedFor(accountId)).toHaveLength(1);
  });

  it('scopes keys per account and frees a key whose request failed', async () => {
    const a = await fundedAccount('scope-a', 5);
    const b = await fundedAccount('scope-b', 5);
    const headers = { 'idempotency-key': 'shared' };
    const pendingA = call('POST', '/v1/inference', a.key, body, headers);
    const submittedA = await harness.waitFor('ObjectSubmitted', (e) => e.payload.accountId === a.accountId);
    const { objectId } = submittedA.payload;
    await harness.bus.emit([createEvent(Events.ObjectAbandoned, { objectId, accountId: a.accountId, attempts: 1, code: 'no_provider_available', message: 'none' }, causedBy(submittedA))]);
    expect((await pendingA).status).toBe(503);

    const retryA = call('POST', '/v1/inference', a.key, body, headers);
    const pendingB = call('POST', '/v1/inference', b.key, { ...body, input: 'b' }, headers);
    const secondA = await harness.waitFor('ObjectSubmitted', (e) => e.payload.accountId === a.accountId && e.payload.objectId !== objectId);
    const submittedB = await harness.waitFor('ObjectSubmitted', (e) => e.payload.accountId === b.accountId);
    await completeAndCharge(secondA, 10, 4_999_990);
    await completeAndCharge(submittedB, 10, 4_999_990);
    expect((await retryA).status).toBe(200);
    expect((await pendingB).status).toBe(200);
  });
});
