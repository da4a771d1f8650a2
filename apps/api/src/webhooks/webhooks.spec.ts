import { PGlite } from '@electric-sql/pglite';
import { Catalogue as E, createEvent } from '@sluice/events';
import { applyMigrations, pgliteSqlClient, schemaLocationOf, type TransactionalClient } from '@sluice/persistence';
import { ValidationError } from '../errors/api-error';
import { checkCallbackUrl } from './callback-url';
import { retryDelayMs, nextAttemptAt, WEBHOOK_MAX_DELAY_MS } from './webhook-retry';
import { signatureHeader, verifySignature } from './webhook-signature';
import { applyWebhookEvents } from './webhooks.consumer';
import { deliveryLog, dueDeliveries, recordAttempt } from './webhook.store';

let n = 0;
const deps = { now: () => new Date('2030-01-01T00:00:00Z'), newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}` };
const submitted = (taskId: string, callbackUrl?: string) =>
  createEvent(E.TaskSubmitted, { taskId, accountId: 'acct-1', totalItems: 2, outputFormat: 'json', ...(callbackUrl ? { callbackUrl } : {}) }, { correlationId: taskId }, deps);
const completed = (taskId: string, completedItems: number, failedItems: number) =>
  createEvent(E.TaskCompleted, { taskId, accountId: 'acct-1', completedItems, failedItems }, { correlationId: taskId }, deps);
const cancelled = (taskId: string) => createEvent(E.TaskCancelRequested, { taskId, accountId: 'acct-1' }, { correlationId: taskId }, deps);

describe('webhook signature', () => {
  it('verifies with the secret and the exact body, and not with another secret, body or an old timestamp', () => {
    const body = '{"type":"task.completed"}';
    const header = signatureHeader('whsec_a', 1_900_000_000, body);
    expect(header).toMatch(/^t=1900000000,v1=[0-9a-f]{64}$/);
    expect(verifySignature('whsec_a', header, body, 1_900_000_010)).toBe(true);
    expect(verifySignature('whsec_b', header, body, 1_900_000_010)).toBe(false);
    expect(verifySignature('whsec_a', header, `${body} `, 1_900_000_010)).toBe(false);
    expect(verifySignature('whsec_a', header, body, 1_900_001_000)).toBe(false);
  });
});

describe('webhook retries', () => {
  it('double the wait from the base with jitter, capped at an hour, and stop 24 h after the event', () => {
    expect(retryDelayMs(1, 1_000, () => 1)).toBe(1_000);
    expect(retryDelayMs(1, 1_000, () => 0)).toBe(500);
    expect(retryDelayMs(4, 1_000, () => 1)).toBe(8_000);
    expect(retryDelayMs(40, 1_000, () => 1)).toBe(WEBHOOK_MAX_DELAY_MS);
    const created = new Date('2030-01-01T00:00:00Z');
    expect(nextAttemptAt(created, new Date('2030-01-01T01:00:00Z'), 3, 1_000, () => 1)).toEqual(new Date('2030-01-01T01:00:04Z'));
    expect(nextAttemptAt(created, new Date('2030-01-01T23:30:00Z'), 30, 1_000, () => 1)).toBeNull();
  });
});

describe('callback_url', () => {
  it('takes https; http only to loopback or private addresses when allowed; never credentials', () => {
    expect(checkCallbackUrl('https://example.com/hook', false)).toBe('https://example.com/hook');
    expect(() => checkCallbackUrl('http://127.0.0.1:8080/hook', false)).toThrow('callback_url must be https');
    expect(checkCallbackUrl('http://127.0.0.1:8080/hook', true)).toBe('http://127.0.0.1:8080/hook');
    expect(checkCallbackUrl('http://localhost/hook', true)).toBe('http://localhost/hook');
    expect(() => checkCallbackUrl('http://example.com/hook', true)).toThrow('loopback or private');
    expect(() => checkCallbackUrl('https://user:pw@example.com/', false)).toThrow('credentials');
    expect(() => checkCallbackUrl('not a url', false)).toThrow('absolute https URL');
    expect(() => checkCallbackUrl('ftp://example.com/', true)).toThrow('https');
  });

  const refusal = (url: string, allowHttp: boolean, field?: string) => {
    try {
      checkCallbackUrl(url, allowHttp, field);
    } catch (err) {
      return err instanceof ValidationError ? err.fields : err;
    }
    return 'accepted';
  };

  it.each([
    ['loopback', 'https://127.0.0.1/hook', '127.0.0.1 is loopback'],
    ['loopback (127/8)', 'https://127.1.2.3:8443/hook', '127.1.2.3 is loopback'],
    ['loopback IPv6', 'https://[::1]/hook', '::1 is loopback'],
    ['localhost', 'https://localhost/hook', 'localhost is loopback'],
    ['a localhost subdomain, with the root dot', 'https://api.localhost./hook', 'api.localhost is loopback'],
    ['private 10/8', 'https://10.0.0.5/', '10.0.0.5 is private'],
    ['private 172.16/12', 'https://172.31.255.1/', '172.31.255.1 is private'],
    ['private 192.168/16', 'https://192.168.1.1/', '192.168.1.1 is private'],
    ['private IPv6 fc00::/7', 'https://[fd12:3456::1]/', 'fd12:3456::1 is private'],
    ['link-local (cloud metadata)', 'https://169.254.169.254/latest/meta-data/', '169.254.169.254 is link-local'],
    ['link-local IPv6', 'https://[fe80::1]/', 'fe80::1 is link-local'],
    ['CGNAT 100.64/10', 'https://100.64.0.1/', '100.64.0.1 is shared (CGNAT)'],
    ['0.0.0.0/8', 'https://0.0.0.0/', '0.0.0.0 is unspecified'],
    ['unspecified IPv6', 'https://[::]/', ':: is unspecified'],
    ['multicast', 'https://224.0.0.1/', '224.0.0.1 is multicast'],
    ['multicast IPv6', 'https://[ff02::1]/', 'ff02::1 is multicast'],
    ['IPv4-mapped IPv6 of a private address', 'https://[::ffff:10.0.0.5]/', '::ffff:a00:5 is private'],
    ['IPv4-mapped IPv6 of loopback', 'https://[::ffff:127.0.0.1]/', '::ffff:7f00:1 is loopback'],
    ['a private address written as one number', 'https://167772165/', '10.0.0.5 is private'],
    ['a documentation range', 'https://203.0.113.7/', '203.0.113.7 is reserved'],
    ['the benchmarking range', 'https://198.18.0.1/', '198.18.0.1 is reserved'],
    ['NAT64 of a private address', 'https://[64:ff9b::a00:5]/', '64:ff9b::a00:5 is reserved'],
    ['6to4 of loopback', 'https://[2002:7f00:1::]/', '2002:7f00:1:: is reserved'],
  ])('refuses a callback_url to %s, naming the field', (_, url, why) => {
    expect(refusal(url, false)).toEqual([{ field: 'callback_url', message: `callback_url must point to a public address: ${why}` }]);
    expect(refusal(url, false, 'url')).toEqual([{ field: 'url', message: expect.stringContaining(why) }]);
  });

  it('lets loopback and private hosts through when SLUICE_WEBHOOK_ALLOW_HTTP is on, but never link-local, CGNAT, 0/8 or multicast ones', () => {
    for (const url of ['https://127.0.0.1/hook', 'http://localhost:8080/hook', 'http://10.0.0.5/', 'https://192.168.1.1/', 'http://[fd00::1]/', 'http://[::ffff:127.0.0.1]:9000/']) {
      expect(refusal(url, true)).toBe('accepted');
    }
    for (const url of ['https://169.254.169.254/', 'http://169.254.169.254/', 'https://100.100.1.1/', 'http://0.0.0.0/', 'https://239.1.1.1/', 'https://[fe80::1]/']) {
      expect(refusal(url, true)).toEqual([{ field: 'callback_url', message: expect.stringContaining('callback_url must point to a public address') }]);
    }
    expect(refusal('https://hooks.example.com/x', false)).toBe('accepted');
    expect(refusal('https://8.8.8.8/x', false)).toBe('accepted');
    expect(refusal('https://[2606:4700::1111]/x', false)).toBe('accepted');
  });
});

describe('api-webhooks consumer and deliveries', () => {
  let db: PGlite;
  let sql: TransactionalClient;
  const now = new Date('2030-01-01T00:00:00Z');
  beforeAll(async () => {
    db = await PGlite.create('memory://');
    await applyMigrations({ kind: 'pglite', db }, schemaLocationOf('api'));
    sql = pgliteSqlClient(db);
  });
  afterAll(() => db.close());

  it('queues one delivery per TaskCompleted of a task with a callback_url, even when the event comes twice', async () => {
    const end = completed('t-ok', 2, 0);
    await applyWebhookEvents(sql, [submitted('t-ok', 'https://example.com/a'), submitted('t-none'), end, completed('t-none', 2, 0)], now);
    await applyWebhookEvents(sql, [end], now);
    const log = await deliveryLog(sql, 't-ok');
    expect(log).toEqual([expect.objectContaining({ eventId: end.eventId, type: 'task.completed', url: 'https://example.com/a', status: 'pending', attempts: 0 })]);
    expect(await deliveryLog(sql, 't-none')).toEqual([]);
  });

  it('names a cancelled task task.cancelled and a task without a completed item task.failed', async () => {
    await applyWebhookEvents(sql, [submitted('t-c', 'https://example.com/c'), cancelled('t-c'), completed('t-c', 1, 1), submitted('t-f', 'https://example.com/f'), completed('t-f', 0, 2)], now);
    expect((await deliveryLog(sql, 't-c'))[0]).toMatchObject({ type: 'task.cancelled' });
    const failed = await deliveryLog(sql, 't-f');
    expect(failed[0]).toMatchObject({ type: 'task.failed' });
    const due = await dueDeliveries(sql, now, 10);
    expect(JSON.parse(due.find((d) => d.taskId === 't-f')!.body)).toEqual({
      id: failed[0].eventId,
      object: 'event',
      type: 'task.failed',
      created_at: '2030-01-01T00:00:00.000Z',
      data: { task_id: 't-f', status: 'failed', completed_items: 0, failed_items: 2 },
    });
  });

  it("gives an OpenAI batch batch.* once its files exist, not task.* when its last line ends", async () => {
    const batch = createEvent(
      E.TaskSubmitted,
      { taskId: 'b-1', accountId: 'acct-1', totalItems: 3, outputFormat: 'jsonl', callbackUrl: 'https://example.com/b', openaiBatch: { endpoint: '/v1/chat/completions', completionWindow: '24h', metadata: null } },
      { correlationId: 'b-1' },
      deps,
    );
    const stored = (fileId: string, lines: number) => ({ fileId, fileName: `${fileId}.jsonl`, blobKey: fileId, lines, bytes: 10 * lines, sha256: '0'.repeat(64) });
    const ready = createEvent(E.TaskOutputReady, { taskId: 'b-1', accountId: 'acct-1', ...stored('file-out', 2), errorFile: stored('file-err', 1) }, { correlationId: 'b-1' }, deps);
    await applyWebhookEvents(sql, [batch, completed('b-1', 2, 1)], now);
    expect(await deliveryLog(sql, 'b-1')).toEqual([]);
    await applyWebhookEvents(sql, [ready], now);
    const [delivery] = await deliveryLog(sql, 'b-1');
    expect(delivery).toMatchObject({ eventId: ready.eventId, type: 'batch.completed', url: 'https://example.com/b' });
    const due = await dueDeliveries(sql, now, 50);
    expect(JSON.parse(due.find((d) => d.taskId === 'b-1')!.body)).toEqual({
      id: ready.eventId,
      object: 'event',
      type: 'batch.completed',
      created_at: '2030-01-01T00:00:00.000Z',
      data: { id: 'b-1', status: 'completed', output_file_id: 'file-out', error_file_id: 'file-err', request_counts: { total: 3, completed: 2, failed: 1 } },
    });
    // A task's own output file (a /v0 JSONL task) makes no second webhook.
    await applyWebhookEvents(sql, [submitted('t-j', 'https://example.com/j'), completed('t-j', 1, 0), createEvent(E.TaskOutputReady, { taskId: 't-j', accountId: 'acct-1', ...stored('file-j', 1) }, { correlationId: 't-j' }, deps)], now);
    expect((await deliveryLog(sql, 't-j')).map((d) => d.type)).toEqual(['task.completed']);
  });

  it('sends a task its deliveries in order: a later one waits while an earlier one is pending', async () => {
    const first = completed('t-o', 1, 0);
    const second = completed('t-o', 2, 0);
    await applyWebhookEvents(sql, [submitted('t-o', 'https://example.com/o'), first, second], now);
    const later = new Date(now.getTime() + 60_000);
    expect((await dueDeliveries(sql, now, 50)).filter((d) => d.taskId === 't-o').map((d) => d.eventId)).toEqual([first.eventId]);
    await recordAttempt(sql, first.eventId, { at: now, statusCode: 500, error: 'HTTP 500', status: 'pending', nextAttemptAt: later });
    expect((await dueDeliveries(sql, now, 50)).filter((d) => d.taskId === 't-o')).toEqual([]);
    await recordAttempt(sql, first.eventId, { at: later, statusCode: 200, error: null, status: 'delivered', nextAttemptAt: null });
    expect((await dueDeliveries(sql, later, 50)).filter((d) => d.taskId === 't-o').map((d) => d.eventId)).toEqual([second.eventId]);
    const [log] = await deliveryLog(sql, 't-o');
    expect(log).toMatchObject({ status: 'delivered', attempts: 2, deliveredAt: later });
    expect(log.log).toEqual([
      { at: now, statusCode: 500, error: 'HTTP 500' },
      { at: later, statusCode: 200, error: null },
    ]);
  });
});
