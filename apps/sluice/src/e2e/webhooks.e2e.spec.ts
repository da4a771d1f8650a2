import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { until } from './http';
import { SluiceChild } from './sluice-child';

/**
 * Task webhooks end to end, on the embedded engine as `npm start` runs it (a child process, so
 * it can be SIGKILLed): a local receiver gets each task's end once, signed, retried after its
 * own 500s, and once after a kill between the task's completion and the delivery.
 */

jest.setTimeout(180_000);

const ADMIN_KEY = 'sk_admin_e2e_webhooks_0123456789';

const CHILD_ENV = {
  SLUICE_ADMIN_KEY: ADMIN_KEY,
  SLUICE_DEMO_LATENCY_SCALE: '0',
  SLUICE_WEBHOOK_ALLOW_HTTP: 'true',
  SLUICE_WEBHOOK_RETRY_BASE_MS: '300',
  SLUICE_WEBHOOK_TIMEOUT_MS: '60000',
};

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** What the receiver answered; null when it held the request unanswered. */
  answered: number | null;
}

/** A webhook receiver: `/ok` answers 200; `/flaky` 500 twice then 200; `/hang` holds its first request, then 200. */
class Receiver {
  readonly received: Received[] = [];
  private readonly held: ServerResponse[] = [];
  private server?: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '';
        const earlier = this.received.filter((r) => r.path === path).length;
        const status = path.startsWith('/flaky') && earlier < 2 ? 500 : path.startsWith('/hang') && earlier === 0 ? null : 200;
        this.received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), answered: status });
        if (status === null) this.held.push(res);
        else res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  at(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  async stop(): Promise<void> {
    for (const res of this.held) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

/** The receiver's check, as the README shows it. */
function signedBy(secret: string, received: Received): boolean {
  const header = String(received.headers['sluice-signature'] ?? '');
  const { t, v1 } = Object.fromEntries(header.split(',').map((kv) => kv.split('=')));
  const expected = createHmac('sha256', secret).update(`${t}.${received.body}`).digest('hex');
  return v1 === expected && Math.abs(Date.now() / 1000 - Number(t)) < 300;
}

async function call<T>(url: string, method: string, path: string, key: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  return { status: res.status, body: (await res.json()) as T };
}

interface DeliveryLog {
  data: { event_id: string; type: string; status: string; attempts: number; log: { status_code: number | null; error: string | null }[] }[];
}

describe('task webhooks (embedded, a Sluice child process)', () => {
  let dataDir: string;
  let sluice: SluiceChild | undefined;
  let url: string;
  let key: string;
  let secret: string;
  const receiver = new Receiver();

  const submit = async (path: string, items: unknown[]) => {
    const res = await call<{ task_id: string }>(url, 'POST', `/v0/infer/?callback_url=${encodeURIComponent(receiver.url + path)}`, key, items);
    expect(res.status).toBe(200);
    return res.body.task_id;
  };
  const deliveries = async (taskId: string) => (await call<DeliveryLog>(url, 'GET', `/v0/infer/task/${taskId}/webhooks`, key)).body.data;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sluice-webhooks-'));
    await receiver.start();
    sluice = SluiceChild.start(dataDir, CHILD_ENV);
    url = await sluice.url;
    const created = await call<{ api_key: string }>(url, 'POST', '/v0/admin/accounts', ADMIN_KEY, { name: 'webhooks', credit_usd: 5 });
    expect(created.status).toBe(201);
    key = created.body.api_key;
    const rotated = await call<{ secret: string }>(url, 'POST', '/v1/webhook-secret', key);
    expect(rotated.status).toBe(201);
    secret = rotated.body.secret;
  });
  afterAll(async () => {
    await sluice?.stop();
    await receiver.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses a plain-http callback_url to a public host', async () => {
    const res = await call<{ error: { code: string; message: string } }>(url, 'POST', `/v0/infer/?callback_url=${encodeURIComponent('http://example.com/hook')}`, key, [{ model: 'qwen-7b', input: 'Hi.' }]);
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'validation_error', message: expect.stringContaining('query.callback_url') });
  });

  it('POSTs task.completed once, signed with the account secret, when the last item ends', async () => {
    const taskId = await submit('/ok', [{ model: 'qwen-7b', input: 'Say hello.' }, { model: 'qwen-7b', input: 'Say goodbye.' }]);
    const [got] = await until('the webhook', async () => (receiver.at('/ok').length > 0 ? receiver.at('/ok') : undefined), 60_000);
    const body = JSON.parse(got.body) as { id: string; type: string; data: { task_id: string; status: string; completed_items: number } };
    expect(body).toMatchObject({ type: 'task.completed', object: 'event', data: { task_id: taskId, status: 'completed', completed_items: 2, failed_items: 0 } });
    expect(got.headers['sluice-event-id']).toBe(body.id);
    expect(got.headers['content-type']).toBe('application/json');
    expect(signedBy(secret, got)).toBe(true);
    expect(signedBy('whsec_other', got)).toBe(false);
    await sleep(1_500);
    expect(receiver.at('/ok')).toHaveLength(1);
    expect(await deliveries(taskId)).toEqual([expect.objectContaining({ event_id: body.id, type: 'task.completed', status: 'delivered', attempts: 1, log: [{ attempted_at: expect.any(String), status_code: 200, error: null }] })]);
  });

  it('retries after the receiver answers 500, and the third attempt delivers it', async () => {
    const taskId = await submit('/flaky', [{ model: 'qwen-7b', input: 'Say hello.' }]);
    const got = await until('three attempts', async () => (receiver.at('/flaky').length >= 3 ? receiver.at('/flaky') : undefined), 60_000);
    expect(got.map((r) => r.answered)).toEqual([500, 500, 200]);
    expect(new Set(got.map((r) => r.headers['sluice-event-id'])).size).toBe(1);
    expect(got.every((r) => signedBy(secret, r) && r.body === got[0].body)).toBe(true);
    const log = await until('the delivered log', async () => {
      const rows = await deliveries(taskId);
      return rows[0]?.status === 'delivered' ? rows : undefined;
    }, 10_000);
    expect(log[0].log.map((a) => a.status_code)).toEqual([500, 500, 200]);
    await sleep(1_500);
    expect(receiver.at('/flaky')).toHaveLength(3);
  });

  it('POSTs task.cancelled for a cancelled task', async () => {
    const taskId = await submit('/cancel', [{ sla: 1440, model: 'gpt-4o-mini', input: 'Later.' }, { sla: 1440, model: 'gpt-4o-mini', input: 'Later too.' }]);
    expect((await call(url, 'POST', `/v0/infer/task/${taskId}/cancel`, key)).status).toBe(200);
    const [got] = await until('the webhook', async () => (receiver.at('/cancel').length > 0 ? receiver.at('/cancel') : undefined), 60_000);
    expect(JSON.parse(got.body)).toMatchObject({ type: 'task.cancelled', data: { task_id: taskId, status: 'cancelled' } });
    expect(signedBy(secret, got)).toBe(true);
  });

  it("sends a task submitted without a callback_url to the account's default endpoint, until it is cleared", async () => {
    const set = await fetch(`${url}/v1/webhook-endpoint`, { method: 'PUT', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ url: `${receiver.url}/default` }) });
    expect(set.status).toBe(200);
    expect(await set.json()).toEqual({ object: 'webhook_endpoint', url: `${receiver.url}/default` });
    const first = (await call<{ task_id: string }>(url, 'POST', '/v0/infer/', key, [{ model: 'qwen-7b', input: 'Say hello.' }])).body.task_id;
    const [got] = await until('the webhook', async () => (receiver.at('/default').length > 0 ? receiver.at('/default') : undefined), 60_000);
    expect(JSON.parse(got.body)).toMatchObject({ type: 'task.completed', data: { task_id: first } });
    expect(signedBy(secret, got)).toBe(true);

    const cleared = await fetch(`${url}/v1/webhook-endpoint`, { method: 'PUT', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ url: null }) });
    expect(await cleared.json()).toEqual({ object: 'webhook_endpoint', url: null });
    const second = (await call<{ task_id: string; status: string }>(url, 'POST', '/v0/infer/', key, [{ model: 'qwen-7b', input: 'Say hello.' }])).body;
    await until('the second task to end', async () => ((await call<{ status: string }>(url, 'GET', `/v0/infer/task/${second.task_id}`, key)).body.status === 'completed' ? true : undefined), 60_000);
    await sleep(1_500);
    expect(receiver.at('/default')).toHaveLength(1);
    expect(await deliveries(second.task_id)).toEqual([]);
  });

  it('delivers once after a SIGKILL between the completion and the delivery', async () => {
    const taskId = await submit('/hang', [{ model: 'qwen-7b', input: 'Say hello.' }]);
    // The first attempt reaches the receiver, which holds it: the task is complete, nothing is delivered.
    await until('the first attempt', async () => (receiver.at('/hang').length > 0 ? true : undefined), 60_000);
    sluice!.kill();
    expect((await sluice!.exited).signal).toBe('SIGKILL');

    sluice = SluiceChild.start(dataDir, CHILD_ENV);
    url = await sluice.url;
    const got = await until('the delivery after the restart', async () => (receiver.at('/hang').length >= 2 ? receiver.at('/hang') : undefined), 60_000);
    await sleep(2_000);
    const all = receiver.at('/hang');
    expect(all.map((r) => r.answered)).toEqual([null, 200]);
    expect(all[1].headers['sluice-event-id']).toBe(got[0].headers['sluice-event-id']);
    expect(JSON.parse(all[1].body)).toMatchObject({ type: 'task.completed', data: { task_id: taskId } });
    expect(signedBy(secret, all[1])).toBe(true);
    expect(await deliveries(taskId)).toEqual([expect.objectContaining({ status: 'delivered', attempts: 1 })]);
    // Nothing else was invented by the restart: the earlier tasks' receivers got nothing more.
    expect(receiver.at('/ok')).toHaveLength(1);
    expect(receiver.at('/flaky')).toHaveLength(3);
    expect(receiver.at('/cancel')).toHaveLength(1);
    expect(receiver.at('/default')).toHaveLength(1);
  });
});
