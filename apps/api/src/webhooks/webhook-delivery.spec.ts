import { PGlite } from '@electric-sql/pglite';
import { Catalogue as E, createEvent } from '@sluice/events';
import { applyMigrations, pgliteSqlClient, schemaLocationOf, type TransactionalClient } from '@sluice/persistence';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebhookConfig } from '../config';
import type { ResolveHost } from './destination-address';
import { WebhookDeliveryWorker } from './webhook-delivery.worker';
import { applyWebhookEvents } from './webhooks.consumer';
import { deliveryLog } from './webhook.store';

jest.setTimeout(30_000);

let n = 0;
const deps = { now: () => new Date(), newId: () => `00000000-0000-4000-9000-${String(++n).padStart(12, '0')}` };
const submitted = (taskId: string, callbackUrl: string) =>
  createEvent(E.TaskSubmitted, { taskId, accountId: 'acct-1', totalItems: 2, outputFormat: 'json', callbackUrl }, { correlationId: taskId }, deps);
const completed = (taskId: string, completedItems: number) =>
  createEvent(E.TaskCompleted, { taskId, accountId: 'acct-1', completedItems, failedItems: 0 }, { correlationId: taskId }, deps);

interface Arrival {
  path: string;
  eventId: string;
  at: number;
}

/** A webhook receiver on 127.0.0.1: `/hang…` never answers its first request (the sender times out), then 200; anything else 200. */
class Receiver {
  readonly arrivals: Arrival[] = [];
  private readonly held: ServerResponse[] = [];
  private server?: Server;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const path = req.url ?? '';
        const earlier = this.at(path).length;
        this.arrivals.push({ path, eventId: String(req.headers['sluice-event-id']), at: Date.now() });
        if (path.startsWith('/hang') && earlier === 0) this.held.push(res);
        else res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  url(path: string, host = '127.0.0.1'): string {
    return `http://${host}:${this.port}${path}`;
  }

  at(path: string): Arrival[] {
    return this.arrivals.filter((a) => a.path === path);
  }

  async stop(): Promise<void> {
    for (const res of this.held) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('webhook delivery worker', () => {
  let db: PGlite;
  let sql: TransactionalClient;
  const receiver = new Receiver();
  let worker: WebhookDeliveryWorker | undefined;

  const start = (config: Partial<WebhookConfig>, resolveHost?: ResolveHost) => {
    worker = new WebhookDeliveryWorker(sql, { SLUICE_WEBHOOK_ALLOW_HTTP: true, SLUICE_WEBHOOK_RETRY_BASE_MS: 100, SLUICE_WEBHOOK_TIMEOUT_MS: 3_000, ...config }, resolveHost);
    worker.onApplicationBootstrap();
    return worker;
  };
  const enqueue = async (taskId: string, url: string, ends = 1) => {
    const events = Array.from({ length: ends }, (_, i) => completed(taskId, i + 1));
    await applyWebhookEvents(sql, [submitted(taskId, url), ...events], new Date());
    worker?.wake();
    return events.map((e) => e.eventId);
  };

  beforeAll(async () => {
    db = await PGlite.create('memory://');
    await applyMigrations({ kind: 'pglite', db }, schemaLocationOf('api'));
    sql = pgliteSqlClient(db);
    await receiver.start();
  });
  afterEach(async () => {
    await worker?.beforeApplicationShutdown();
    worker = undefined;
    // Each test's leftover retries stay out of the next one.
    await sql.$executeRaw`UPDATE webhook_delivery SET status = 'failed' WHERE status = 'pending'`;
  });
  afterAll(async () => {
    await receiver.stop();
    await db.close();
  });

  it("delivers another task's webhook at once while a receiver hangs until the timeout, and keeps each task's order", async () => {
    start({ SLUICE_WEBHOOK_TIMEOUT_MS: 3_000 });
    const [a1, a2] = await enqueue('slow-a', receiver.url('/hang'), 2);
    const [first] = await until('task A at its receiver', () => (receiver.at('/hang').length > 0 ? receiver.at('/hang') : undefined));

    const enqueuedB = Date.now();
    const [b1] = await enqueue('fast-b', receiver.url('/fast'));
    const [b] = await until('task B at its receiver', () => (receiver.at('/fast').length > 0 ? receiver.at('/fast') : undefined), 5_000);
    expect(b.eventId).toBe(b1);
    expect(b.at - enqueuedB).toBeLessThan(1_000);
    // A's first attempt is still in flight: nothing recorded, and A's second event waits behind it.
    expect(first.eventId).toBe(a1);
    expect((await deliveryLog(sql, 'slow-a')).map((d) => [d.status, d.attempts])).toEqual([
      ['pending', 0],
      ['pending', 0],
    ]);
    expect(receiver.at('/hang')).toHaveLength(1);

    // A's first times out, is retried and delivered; only then does its second go.
    const hang = await until('task A delivered in order', () => (receiver.at('/hang').length >= 3 ? receiver.at('/hang') : undefined));
    expect(hang.map((a) => a.eventId)).toEqual([a1, a1, a2]);
    expect(hang[1].at - hang[0].at).toBeGreaterThanOrEqual(3_000);
    const log = await until('task A recorded', async () => {
      const rows = await deliveryLog(sql, 'slow-a');
      return rows.every((r) => r.status === 'delivered') ? rows : undefined;
    });
    expect(log[0].log.map((a) => [a.statusCode, a.error])).toEqual([
      [null, 'no answer within 3000 ms'],
      [200, null],
    ]);
    expect(log[1].log.map((a) => a.statusCode)).toEqual([200]);
    expect((await deliveryLog(sql, 'fast-b'))[0]).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('sends one task its webhooks one at a time, oldest first', async () => {
    start({});
    const ids = await enqueue('ordered', receiver.url('/ordered'), 5);
    const got = await until('five webhooks', () => (receiver.at('/ordered').length >= 5 ? receiver.at('/ordered') : undefined));
    expect(got.map((a) => a.eventId)).toEqual(ids);
  });

  it('refuses, logs and retries a delivery to a name that resolves to a private address, when SLUICE_WEBHOOK_ALLOW_HTTP is off', async () => {
    const resolveHost: ResolveHost = async (hostname) => {
      if (hostname === 'hooks.internal.example') return [{ address: '10.0.0.5', family: 4 }];
      if (hostname === 'split.example') return [{ address: '93.184.216.34', family: 4 }, { address: '127.0.0.1', family: 4 }];
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    };
    start({ SLUICE_WEBHOOK_ALLOW_HTTP: false, SLUICE_WEBHOOK_RETRY_BASE_MS: 60_000 }, resolveHost);
    await enqueue('ssrf-private', receiver.url('/private', 'hooks.internal.example'));
    // One of its addresses is this machine's receiver: any one refused address refuses the name.
    await enqueue('ssrf-split', receiver.url('/split', 'split.example'));
    await enqueue('ssrf-metadata', 'https://169.254.169.254/latest/meta-data/');

    const attempted = async (taskId: string) => {
      const [row] = await deliveryLog(sql, taskId);
      return row && row.attempts > 0 ? row : undefined;
    };
    const priv = await until('the private one refused', () => attempted('ssrf-private'));
    expect(priv).toMatchObject({ status: 'pending', attempts: 1, log: [{ at: expect.any(Date), statusCode: null, error: 'destination address 10.0.0.5 is private' }] });
    expect(priv.nextAttemptAt.getTime()).toBeGreaterThan(Date.now() + 10_000);
    expect((await until('the split one refused', () => attempted('ssrf-split'))).log[0].error).toBe('destination address 127.0.0.1 is loopback');
    expect((await until('the metadata one refused', () => attempted('ssrf-metadata'))).log[0].error).toBe('destination address 169.254.169.254 is link-local');
    expect(receiver.at('/split')).toEqual([]);
  });

  it('connects through the same check to a name that resolves to a loopback address when SLUICE_WEBHOOK_ALLOW_HTTP is on', async () => {
    start({ SLUICE_WEBHOOK_ALLOW_HTTP: true }, async () => [{ address: '127.0.0.1', family: 4 }]);
    const [id] = await enqueue('named-local', receiver.url('/named', 'receiver.example'));
    const [got] = await until('the webhook', () => (receiver.at('/named').length > 0 ? receiver.at('/named') : undefined));
    expect(got.eventId).toBe(id);
  });

  it('waits on stop for the attempt in flight, and records it', async () => {
    const stopping = start({ SLUICE_WEBHOOK_TIMEOUT_MS: 500 });
    await enqueue('stop-a', receiver.url('/hang-stop'));
    await until('the attempt in flight', () => (receiver.at('/hang-stop').length > 0 ? true : undefined));
    worker = undefined;
    await stopping.beforeApplicationShutdown();
    const [row] = await deliveryLog(sql, 'stop-a');
    expect(row).toMatchObject({ status: 'pending', attempts: 1, log: [{ at: expect.any(Date), statusCode: null, error: 'no answer within 500 ms' }] });
  });
});
