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
