import type { EventLog, OutgoingRecord } from '@sluice/eventlog';
import { createEvent, TaskSubmitted, Topics, decodeEvent, type SluiceEvent } from '@sluice/events';
import { counterValue, incrementCounter, openFixturePglite, walletCredited, type FixtureDatabase } from '../testing/fixture-database';
import { appendToOutbox } from './outbox';
import { BUNDLE_MIN_EVENTS } from './outbox-bundle';
import { OutboxRelay } from './outbox-relay';
import { requireVmModulesForPglite } from '../testing/pglite-under-jest';
import type { TransactionalClient } from '../raw-sql-client';

requireVmModulesForPglite();
jest.setTimeout(60_000);

/** Records what was published; `failNext` makes the next publish reject. */
class RecordingLog implements Pick<EventLog, 'publish'> {
  readonly published: { topic: string; record: OutgoingRecord }[] = [];
  failNext = false;
  async publish(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('broker unavailable');
    }
    this.published.push(...records.map((record) => ({ topic, record })));
  }
  eventIds(): string[] {
    return this.published.map(({ record }) => decodeEvent({ key: record.key, value: record.value, headers: record.headers ?? {} }).eventId);
  }
}

describe('outbox on PGlite', () => {
  let db: FixtureDatabase;
  beforeAll(async () => {
    db = await openFixturePglite();
  });
  afterAll(() => db.close());
  beforeEach(() => db.prisma.outbox.deleteMany());

  const changeStateAndEmit = (counter: string, events: SluiceEvent[], fail = false) =>
    db.prisma.$transaction(async (tx) => {
      await incrementCounter(tx, counter);
      await appendToOutbox(tx, events);
      if (fail) throw new Error('decider rejected the command');
    });

  it('commits the state change and its events together', async () => {
    const event = walletCredited('acct-42', 5_000_000);
    await changeStateAndEmit('together', [event]);

    const rows = await db.prisma.outbox.findMany();
    expect(await counterValue(db.prisma, 'together')).toBe(1);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ eventId: event.eventId, topic: Topics.billing, key: 'acct-42' });
  });

  it('keeps neither the state change nor the events when the transaction throws, and publishes nothing', async () => {
    const log = new RecordingLog();
    const relay = new OutboxRelay({ client: db.prisma, log });

    await expect(changeStateAndEmit('rolled-back', [walletCredited()], true)).rejects.toThrow('decider rejected');
    const published = await relay.publishPending();

    expect(await counterValue(db.prisma, 'rolled-back')).toBe(0);
    expect(await db.prisma.outbox.count()).toBe(0);
    expect(published).toBe(0);
    expect(log.published).toEqual([]);
  });

  it.each([false, true])('publishes pending events in commit order, decodable as the original events, then removes them (sole: %s)', async (sole) => {
    const log = new RecordingLog();
    const relay = new OutboxRelay({ client: db.prisma, log, batchSize: 2, sole });
    const events = [walletCredited('a'), walletCredited('b'), walletCredited('c')];
    await changeStateAndEmit('ordered', events.slice(0, 2));
    await changeStateAndEmit('ordered', events.slice(2));

    expect(await relay.publishPending()).toBe(3);

    expect(log.eventIds()).toEqual(events.map((e) => e.eventId));
    expect(log.published.map((p) => p.topic)).toEqual([Topics.billing, Topics.billing, Topics.billing]);
    const first = log.published[0].record;
    expect(decodeEvent({ key: first.key, value: first.value, headers: first.headers ?? {} })).toEqual(events[0]);
    expect(await db.prisma.outbox.count()).toBe(0);
    expect(await relay.publishPending()).toBe(0);
  });

  it('stores a large append as one row and publishes its events in order, on their topics, as they were', async () => {
    const log = new RecordingLog();
    const relay = new OutboxRelay({ client: db.prisma, log });
    const task = createEvent(TaskSubmitted, { taskId: 'task-1', accountId: 'acct-1', totalItems: BUNDLE_MIN_EVENTS, outputFormat: 'json' }, { correlationId: 'task-1' });
    const credits = Array.from({ length: BUNDLE_MIN_EVENTS }, (_, i) => walletCredited(`acct-${i}`, 1_000 + i));
    const before = walletCredited('acct-before');
    const after = walletCredited('acct-after');
    await changeStateAndEmit('bundled', [before]);
    await changeStateAndEmit('bundled', [task, ...credits]);
    await changeStateAndEmit('bundled', [after]);

    const rows = await db.prisma.outbox.findMany({ orderBy: { id: 'asc' } });
    expect(rows.map((r) => r.bundle)).toEqual([false, true, false]);
    expect(rows[1]).toMatchObject({ eventId: task.eventId, topic: Topics.tasks });

    expect(await relay.publishPending()).toBe(3);
    const all = [before, task, ...credits, after];
    expect(log.eventIds()).toEqual(all.map((e) => e.eventId));
    expect(log.published.map((p) => p.topic)).toEqual([Topics.billing, Topics.tasks, ...credits.map(() => Topics.billing), Topics.billing]);
    const decoded = log.published.map(({ record }) => decodeEvent({ key: record.key, value: record.value, headers: record.headers ?? {} }));
    expect(decoded).toEqual(all);
    expect(await db.prisma.outbox.count()).toBe(0);
  });

  it('keeps a bundle whose publish failed and publishes all of it on the next attempt', async () => {
    const log = new RecordingLog();
    const relay = new OutboxRelay({ client: db.prisma, log });
    const credits = Array.from({ length: BUNDLE_MIN_EVENTS }, (_, i) => walletCredited(`acct-${i}`));
    await changeStateAndEmit('bundle-retry', credits);

    log.failNext = true;
    await expect(relay.publishPending()).rejects.toThrow('broker unavailable');
    expect(await db.prisma.outbox.count()).toBe(1);

    await relay.publishPending();
    expect(log.eventIds()).toEqual(credits.map((e) => e.eventId));
  });

  it.each([false, true])('keeps the rows when publishing fails and publishes them on the next attempt (sole: %s)', async (sole) => {
    const log = new RecordingLog();
    const relay = new OutboxRelay({ client: db.prisma, log, sole });
    const event = walletCredited();
    await changeStateAndEmit(`retry-publish-${sole}`, [event]);

    log.failNext = true;
    await expect(relay.publishPending()).rejects.toThrow('broker unavailable');
    expect(await db.prisma.outbox.count()).toBe(1);

    await relay.publishPending();
    expect(log.eventIds()).toEqual([event.eventId]);
  });

  it('publishes promptly when notified after a commit, long before the next poll', async () => {
    const log = new RecordingLog();
    const relay = new OutboxRelay({ client: db.prisma, log, pollIntervalMs: 60_000 });
    relay.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const event = walletCredited();
      await changeStateAndEmit('notified', [event]);
      relay.notify();

      await waitFor(() => log.published.length === 1, 2_000);
      expect(log.eventIds()).toEqual([event.eventId]);
    } finally {
      await relay.stop();
    }
  });

  it('publishes the commits notified within its gather turns in one batch', async () => {
    const relayTransactions = async (gatherTurns: number) => {
      const log = new RecordingLog();
      let transactions = 0;
      const client: TransactionalClient = {
        $queryRaw: (strings, ...values) => db.prisma.$queryRaw(strings, ...values),
        $executeRaw: (strings, ...values) => db.prisma.$executeRaw(strings, ...values),
        $transaction: (fn, options) => {
          transactions++;
          return db.prisma.$transaction(fn, options);
        },
      };
      const relay = new OutboxRelay({ client, log, pollIntervalMs: 60_000, gatherTurns });
      await changeStateAndEmit('gathered', [walletCredited(), walletCredited()]);
      relay.start();
      // Two commits' notifications a callback apart, as two consumers committing one after the other.
      relay.notify();
      setImmediate(() => relay.notify());
      await waitFor(() => log.published.length === 2, 2_000);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await relay.stop();
      return transactions;
    };
    expect(await relayTransactions(0)).toBeGreaterThan(1);
    expect(await relayTransactions(3)).toBe(1);
  });

  it('finds rows committed without a notify on its safety-net poll', async () => {
    const log = new RecordingLog();
    const relay = new OutboxRelay({ client: db.prisma, log, pollIntervalMs: 100 });
    relay.start();
    try {
      await changeStateAndEmit('polled', [walletCredited()]);
      await waitFor(() => log.published.length === 1, 3_000);
    } finally {
      await relay.stop();
    }
  });
});

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
