import { randomUUID } from 'node:crypto';
import { createEvent, type EventContext, type SluiceEvent } from '@sluice/events';
import { Catalogue as Events } from '@sluice/events';
import { startServiceHarness, TEST_ADMIN_KEY, type ServiceHarness } from '@sluice/testing';
import { apiService } from './service';

jest.setTimeout(60_000);

let harness: ServiceHarness;

async function call(method: string, path: string, options: { key?: string; body?: unknown; raw?: string } = {}) {
  const res = await fetch(`${harness.url}${path}`, {
    method,
    headers: {
      ...(options.key ? { authorization: `Bearer ${options.key}` } : {}),
      ...(options.body !== undefined || options.raw !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function createAccount(name: string, creditUsd = 0): Promise<{ account_id: string; api_key: string }> {
  const res = await call('POST', '/v0/admin/accounts', { key: TEST_ADMIN_KEY, body: { name, credit_usd: creditUsd } });
  expect(res.status).toBe(201);
  return res.body;
}

const ctx = (correlationId: string): EventContext => ({ correlationId });
const emit = (...events: SluiceEvent[]) => harness.bus.emit(events);

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > until) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  harness = await startServiceHarness(apiService, { market: false, http: true });
});

afterAll(async () => {
  await harness?.stop();
});

describe('authentication', () => {
  it('answers 401 unauthorized without a key and with an unknown key', async () => {
    const none = await call('GET', '/v1/balance');
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('unauthorized');
    const unknown = await call('GET', '/v1/balance', { key: 'sk_live_nope' });
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual({ error: { type: 'authentication_error', code: 'unauthorized', message: 'unknown API key' } });
  });

  it('answers 401 api_key_inactive once a key is deactivated, while the account\'s other keys work', async () => {
    const account = await createAccount('keys');
    const second = await call('POST', '/v1/api-keys', { key: account.api_key });
    expect(second.status).toBe(201);
    expect(second.body.key).toMatch(/^sk_live_/);
    // Used (and so remembered as active) before it is deactivated.
    expect((await call('GET', '/v1/balance', { key: second.body.key })).status).toBe(200);
    const off = await call('POST', `/v1/api-keys/${second.body.id}/deactivate`, { key: account.api_key });
    expect(off.status).toBe(200);
    expect((await call('GET', '/v1/balance', { key: second.body.key })).body.error.code).toBe('api_key_inactive');
    expect((await call('GET', '/v1/balance', { key: account.api_key })).status).toBe(200);
  });

  it('does not let one account deactivate another account\'s key', async () => {
    const a = await createAccount('a');
    const b = await createAccount('b');
    const bKey = await call('POST', '/v1/api-keys', { key: b.api_key });
    const res = await call('POST', `/v1/api-keys/${bKey.body.id}/deactivate`, { key: a.api_key });
    expect(res.status).toBe(404);
    expect((await call('GET', '/v1/balance', { key: bKey.body.key })).status).toBe(200);
  });

  it('guards admin endpoints with the admin key, not an account key', async () => {
    const account = await createAccount('not-admin');
    const res = await call('POST', '/v0/admin/accounts', { key: account.api_key, body: { name: 'x' } });
    expect(res.status).toBe(401);
  });
});

describe('accounts and balance', () => {
  it('asks billing for the initial credit and shows the balance billing reports', async () => {
    const account = await createAccount('credited', 12.5);
    const topUp = await harness.waitFor('WalletTopUpRequested', (e) => e.payload.accountId === account.account_id);
    expect(topUp.payload.amountMicros).toBe(12_500_000);
    expect((await call('GET', '/v1/balance', { key: account.api_key })).body).toEqual({ object: 'balance', current_balance_usd: 0 });

    await emit(createEvent(Events.WalletCredited, { accountId: account.account_id, amountMicros: 12_500_000, reference: topUp.payload.reference, availableMicros: 12_500_000 }, ctx(account.account_id)));
    await emit(createEvent(Events.FundsReserved, { accountId: account.account_id, objectId: randomUUID(), amountMicros: 250_000, availableMicros: 12_250_000 }, ctx(account.account_id)));
    const balance = await eventually(
      () => call('GET', '/v1/balance', { key: account.api_key }),
      (r) => r.body.current_balance_usd === 12.25,
    );
    expect(balance.body).toEqual({ object: 'balance', current_balance_usd: 12.25 });
  });

  it('credits an existing account and answers 404 for an unknown one', async () => {
    const account = await createAccount('topped');
    const res = await call('POST', `/v0/admin/accounts/${account.account_id}/credit`, { key: TEST_ADMIN_KEY, body: { amount_usd: 3, reference: 'invoice-7' } });
    expect(res.status).toBe(202);
    const event = await harness.waitFor('WalletTopUpRequested', (e) => e.payload.reference === 'invoice-7');
    expect(event.payload).toEqual({ accountId: account.account_id, amountMicros: 3_000_000, reference: 'invoice-7' });
    const missing = await call('POST', `/v0/admin/accounts/${randomUUID()}/credit`, { key: TEST_ADMIN_KEY, body: { amount_usd: 3 } });
    expect(missing.status).toBe(404);
  });
});

describe('admin credit references (one per account)', () => {
  const credit = (accountId: string, amountUsd: number, reference: string) =>
    call('POST', `/v0/admin/accounts/${accountId}/credit`, { key: TEST_ADMIN_KEY, body: { amount_usd: amountUsd, reference } });

  it('credits the same reference to another account, and a repeat for one account asks billing once', async () => {
    const a = await createAccount('ref-a');
    const b = await createAccount('ref-b');
    expect((await credit(a.account_id, 2, 'wire-2026-001')).body.status).toBe('requested');
    const forB = await credit(b.account_id, 5, 'wire-2026-001');
    expect([forB.status, forB.body.status]).toEqual([202, 'requested']);
    const again = await credit(b.account_id, 5, 'wire-2026-001');
    expect([again.status, again.body.status]).toEqual([202, 'already_requested']);
    await harness.waitFor('WalletTopUpRequested', (e) => e.payload.accountId === b.account_id);
    await new Promise((r) => setTimeout(r, 200));
    const requested = harness.eventsOf('WalletTopUpRequested').filter((e) => e.payload.reference === 'wire-2026-001');
    // The two accounts' requests are keyed apart (other partitions): their order on the log is not fixed.
    const byAccount = (x: [string, number], y: [string, number]) => x[0].localeCompare(y[0]);
    expect(requested.map((e): [string, number] => [e.payload.accountId, e.payload.amountMicros]).sort(byAccount)).toEqual(
      ([[a.account_id, 2_000_000], [b.account_id, 5_000_000]] as [string, number][]).sort(byAccount),
    );
  });

  it('answers 409 credit_reference_reused for the same reference with another amount, and asks billing nothing', async () => {
    const account = await createAccount('ref-reused');
    await credit(account.account_id, 1, 'cheque-9');
    const reused = await credit(account.account_id, 100, 'cheque-9');
    expect(reused.status).toBe(409);
    expect(reused.body.error).toMatchObject({ type: 'invalid_request_error', code: 'credit_reference_reused', message: expect.stringContaining('"cheque-9"') });
    await new Promise((r) => setTimeout(r, 200));
    expect(harness.eventsOf('WalletTopUpRequested').filter((e) => e.payload.reference === 'cheque-9').map((e) => e.payload.amountMicros)).toEqual([1_000_000]);
  });
});

describe('POST /v0/infer/ validation', () => {
  let key: string;
  beforeAll(async () => {
    key = (await createAccount('validation')).api_key;
  });

  it('names every bad field of every item and submits nothing', async () => {
    const before = harness.eventsOf('TaskSubmitted').length;
    const res = await call('POST', '/v0/infer/', {
      key,
      body: [{ model: 'openai:gpt-4o', input: 'fine' }, { sla: -5, input: 'x' }, { sla: 60, model: 'openai:gpt-4o', input: '' }],
    });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('validation_error');
    const fields = res.body.error.fields.map((f: { field: string }) => f.field);
    expect(fields).toEqual(expect.arrayContaining(['items[1].sla', 'items[1].model', 'items[2].input']));
    expect(res.body.error.message).toContain('items[1].model');
    await new Promise((r) => setTimeout(r, 200));
    expect(harness.eventsOf('TaskSubmitted').length).toBe(before);
  });

  it('refuses text PostgreSQL cannot store (NUL, a lone surrogate) at the edge, naming the item, and submits nothing', async () => {
    const before = harness.eventsOf('TaskSubmitted').length;
    const res = await call('POST', '/v0/infer/', { key, body: [{ sla: 60, model: 'openai:gpt-4o', input: 'fine' }, { sla: 60, model: 'openai:gpt-4o', input: 'nul \u0000 here' }, { sla: 60, model: 'openai:gpt-4o', input: 'half \ud800' }] });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('validation_error');
    expect(res.body.error.fields.map((f: { field: string }) => f.field).sort()).toEqual(['items[1].input', 'items[2].input']);
    await new Promise((r) => setTimeout(r, 200));
    expect(harness.eventsOf('TaskSubmitted').length).toBe(before);
  });

  it("answers 422 sla_capacity_exceeded when a model's providers cannot run the volume in its window, and submits nothing", async () => {
    // anthropic-direct alone serves claude-haiku: 800,000 tpm; each item counts ~64,000 tokens (its output bound), so
    // about 12 a minute; its batch API turns around in 10 minutes, too late for a 5-minute window.
    const items = (sla: number) => Array.from({ length: 60 }, (_, i) => ({ sla, model: 'claude-haiku', input: `item ${i}`, max_output_tokens: 64_000 }));
    const before = harness.eventsOf('TaskSubmitted').length;
    const refused = await call('POST', '/v0/infer/', { key, body: [{ sla: 5, model: 'gpt-4o', input: 'fits' }, ...items(5)] });
    expect(refused.status).toBe(422);
    expect(refused.body).toEqual({
      error: {
        type: 'invalid_request_error',
        code: 'sla_capacity_exceeded',
        message: "anthropic:claude-haiku-4.5: 60 requests in 5 minutes exceed what its providers' rate limits allow (about 49 in that window); choose a longer sla",
      },
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(harness.eventsOf('TaskSubmitted').length).toBe(before);

    const accepted = await call('POST', '/v0/infer/', { key, body: items(10) });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ status: 'submitted', total_items: 60 });
  });

  it('refuses a body that is not a list', async () => {
    const res = await call('POST', '/v0/infer', { key, body: { model: 'openai:gpt-4o', input: 'hi' } });
    expect(res.status).toBe(422);
    expect(res.body.error.fields[0].field).toBe('items');
  });

  it('answers 404 model_not_found naming the unknown model and its item', async () => {
    const res = await call('POST', '/v0/infer/', { key, body: [{ model: 'openai:gpt-4o', input: 'a' }, { model: 'acme:nonesuch', input: 'b', sla: 60 }] });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('model_not_found');
    expect(res.body.error.message).toContain('acme:nonesuch');
    expect(res.body.error.message).toContain('items[1].model');
  });

  it('answers a body that is not JSON in the error envelope', async () => {
    const res = await call('POST', '/v0/infer/', { key, raw: '[{"model": ' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
  });
});

describe('POST /v0/infer/ and the read models', () => {
  let owner: { account_id: string; api_key: string };
  let stranger: { account_id: string; api_key: string };
  beforeAll(async () => {
    owner = await createAccount('owner');
    stranger = await createAccount('stranger');
  });

  const router = (objectId: string, accountId: string) => ({ objectId, accountId, attempt: 1 });

  it('submits a task as the seed shows it and emits TaskSubmitted plus one ObjectSubmitted per item', async () => {
    const res = await call('POST', '/v0/infer/', {
      key: owner.api_key,
      body: [
        { sla: 60, model: 'deepseek:r1-32b', input: 'Hello model, how are you?' },
        { sla: 1440, model: 'gpt-4o', input: 'Hello OpenAI, how are you?' },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'submitted',
      task_id: expect.any(String),
      total_items: 2,
      objects: [
        { status: 'submitted', usage: { input_tokens: expect.any(Number), price_factor: expect.any(Number) }, object_id: expect.any(String) },
        { status: 'submitted', usage: { input_tokens: expect.any(Number), price_factor: expect.any(Number) }, object_id: expect.any(String) },
      ],
    });
    const [day, hour] = [res.body.objects[1].usage.price_factor, res.body.objects[0].usage.price_factor];
    expect(hour).toBeLessThan(1);
    expect(day).toBeLessThan(hour);
    expect(day).toBeGreaterThanOrEqual(0.3);

    const task = await harness.waitFor('TaskSubmitted', (e) => e.payload.taskId === res.body.task_id);
    expect(task.payload).toEqual({ taskId: res.body.task_id, accountId: owner.account_id, totalItems: 2, outputFormat: 'json' });
    const submitted = await harness.waitFor('ObjectSubmitted', (e) => e.payload.objectId === res.body.objects[1].object_id);
    expect(submitted.correlationId).toBe(res.body.task_id);
    expect(submitted.payload).toMatchObject({
      taskId: res.body.task_id,
      accountId: owner.account_id,
      index: 1,
      model: 'openai:gpt-4o',
      input: { text: 'Hello OpenAI, how are you?' },
      inputTokens: res.body.objects[1].usage.input_tokens,
      slaMinutes: 1440,
      pricing: { kind: 'sla', basePrice: { inputMicrosPerMillion: 2_500_000, outputMicrosPerMillion: 10_000_000 }, priceFactor: day },
    });
    expect(Date.parse(submitted.payload.deadlineAt) - Date.parse(submitted.occurredAt)).toBe(1440 * 60_000);
  });

  it('follows an object through its life in GET, and the task summarises its objects', async () => {
    const res = await call('POST', '/v0/infer', { key: owner.api_key, body: [{ sla: 60, model: 'llama-3.1-8b', input: 'one' }, { sla: 60, model: 'llama-3.1-8b', input: 'two' }] });
    const [first, second] = res.body.objects.map((o: { object_id: string }) => o.object_id);
    const taskId = res.body.task_id;
    const objectGet = () => call('GET', `/v0/infer/object/${first}/`, { key: owner.api_key });
    expect((await eventually(objectGet, (r) => r.status === 200)).body).toMatchObject({ object_id: first, status: 'submitted', error: null, output: null });

    await emit(createEvent(Events.ObjectScheduled, { objectId: first, accountId: owner.account_id, runAt: new Date().toISOString(), mode: 'live', estimatedProviderCostMicros: 10, reason: 'cheapest now' }, ctx(taskId)));
    expect((await eventually(objectGet, (r) => r.body.status === 'queued')).body.status).toBe('queued');
    await emit(createEvent(Events.QuoteAccepted, { ...router(first, owner.account_id), providerId: 'bargain', providerModel: 'm', mode: 'live', estimatedProviderCostMicros: 10, estimatedCustomerPriceMicros: 20, estimatedLatencyMs: 100 }, ctx(taskId)));
    expect((await eventually(objectGet, (r) => r.body.status === 'running')).body.status).toBe('running');
    const taskGet = () => call('GET', `/v0/infer/task/${taskId}`, { key: owner.api_key });
    expect((await taskGet()).body.status).toBe('running');

    await emit(createEvent(Events.ObjectCompleted, { ...router(first, owner.account_id), providerId: 'bargain', mode: 'live', inputTokens: 1, outputTokens: 11, output: { text: 'Hey user, I am doing great!' }, providerCostMicros: 3, latencyMs: 50 }, ctx(taskId)));
    const done = await eventually(objectGet, (r) => r.body.status === 'completed');
    expect(done.body).toEqual({
      object_id: first,
      status: 'completed',
      usage: { input_tokens: res.body.objects[0].usage.input_tokens, price_factor: res.body.objects[0].usage.price_factor, output_tokens: 11 },
      error: null,
      output: { type: 'text', text: 'Hey user, I am doing great!' },
      model: 'llama-3.1-8b',
      sla_missed: false,
    });

    await emit(createEvent(Events.ObjectAbandoned, { objectId: second, accountId: owner.account_id, attempts: 3, code: 'all_providers_failed', message: 'every provider failed' }, ctx(taskId)));
    const task = await eventually(taskGet, (r) => r.body.status === 'completed');
    expect(task.body).toMatchObject({ status: 'completed', task_id: taskId, total_items: 2 });
    expect(task.body.objects[0]).toMatchObject({ object_id: first, status: 'completed', output: { type: 'text', text: 'Hey user, I am doing great!' } });
    expect(task.body.objects[1]).toEqual({
      object_id: second,
      status: 'failed',
      usage: { input_tokens: res.body.objects[1].usage.input_tokens, price_factor: res.body.objects[1].usage.price_factor },
      error: { code: 'all_providers_failed', message: 'every provider failed' },
      model: 'llama-3.1-8b',
      sla_missed: false,
    });
    const completed = await harness.waitFor('TaskCompleted', (e) => e.payload.taskId === taskId);
    expect(completed.payload).toEqual({ taskId, accountId: owner.account_id, completedItems: 1, failedItems: 1 });
  });

  it('fails an object whose funds were denied with insufficient_balance', async () => {
    const res = await call('POST', '/v0/infer/', { key: owner.api_key, body: [{ sla: 60, model: 'gpt-4o', input: 'expensive' }] });
    const objectId = res.body.objects[0].object_id;
    await emit(createEvent(Events.FundsDenied, { accountId: owner.account_id, objectId, requiredMicros: 10_300, availableMicros: 0 }, ctx(owner.account_id)));
    const failed = await eventually(() => call('GET', `/v0/infer/object/${objectId}`, { key: owner.api_key }), (r) => r.body?.status === 'failed');
    expect(failed.body.error.code).toBe('insufficient_balance');
    expect(failed.body.output).toBeNull();
  });

  it('answers 404, not 403, for another account\'s task and object, and for unknown ids', async () => {
    const res = await call('POST', '/v0/infer/', { key: owner.api_key, body: [{ sla: 60, model: 'gpt-4o', input: 'mine' }] });
    const objectId = res.body.objects[0].object_id;
    await eventually(() => call('GET', `/v0/infer/object/${objectId}`, { key: owner.api_key }), (r) => r.status === 200);
    for (const path of [`/v0/infer/object/${objectId}`, `/v0/infer/task/${res.body.task_id}/`]) {
      const theirs = await call('GET', path, { key: stranger.api_key });
      expect(theirs.status).toBe(404);
      expect(theirs.body.error.code).toBe('not_found');
    }
    expect((await call('GET', `/v0/infer/task/${randomUUID()}`, { key: owner.api_key })).status).toBe(404);
  });

  it('waits for items without an SLA and answers with their output', async () => {
    const pending = call('POST', '/v0/infer/', { key: owner.api_key, body: [{ model: 'gpt-4o', input: 'now please' }, { sla: 60, model: 'gpt-4o', input: 'later' }] });
    const submitted = await harness.waitFor('ObjectSubmitted', (e) => e.payload.input.hasOwnProperty('text') && (e.payload.input as { text: string }).text === 'now please');
    expect(submitted.payload.slaMinutes).toBeNull();
    expect(submitted.payload.pricing).toMatchObject({ kind: 'sla', priceFactor: 1 });
    await emit(createEvent(Events.ObjectCompleted, { ...router(submitted.payload.objectId, owner.account_id), providerId: 'swift', mode: 'live', inputTokens: 3, outputTokens: 4, output: { text: 'right away' }, providerCostMicros: 3, latencyMs: 5 }, ctx(submitted.correlationId)));
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('submitted');
    expect(res.body.objects[0]).toEqual({
      object_id: submitted.payload.objectId,
      status: 'completed',
      usage: { input_tokens: submitted.payload.inputTokens, price_factor: 1, output_tokens: 4 },
      output: { type: 'text', text: 'right away' },
      model: 'openai:gpt-4o',
      sla_missed: false,
    });
    expect(res.body.objects[1]).toMatchObject({ status: 'submitted' });
  });
});
