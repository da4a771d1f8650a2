import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Catalogue as E, createEvent, TopicSpecs, type SluiceEvent } from '@sluice/events';
import { EventBus, createEventLog, type EventLog, type Subscription } from '@sluice/eventlog';
import { OutboxRelay, openServiceDatabase, type ServiceDatabase } from '@sluice/persistence';
import { EventStore } from '@sluice/platform';
import { PrismaClient } from '../generated/prisma/client';
import { READ_MODELS_CONSUMER } from './read-models.consumer';
import { objectStatusCounts, projectEvents, snapshotReadModels } from './read-model.store';
import { rebuildReadModels, type RebuildProgress } from './rebuild';

jest.setTimeout(60_000);

const accountId = randomUUID();
const taskId = randomUUID();
const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
const ctx = { correlationId: taskId };
const basePrice = { inputMicrosPerMillion: 200_000, outputMicrosPerMillion: 200_000 };
const submitted = (objectId: string, index: number) =>
  createEvent(E.ObjectSubmitted, {
    objectId, taskId, accountId, index, model: 'llama-3.1-8b', input: { text: `item ${index}` }, inputTokens: 2, maxOutputTokens: 1024,
    slaMinutes: 60, deadlineAt: '2030-01-01T01:00:00.000Z', pricing: { kind: 'sla', basePrice, priceFactor: 0.7 },
  }, ctx);

describe('rebuild', () => {
  let dir: string;
  let log: EventLog;
  let database: ServiceDatabase;
  let live: PrismaClient;
  let relay: OutboxRelay;
  let subscription: Subscription;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-api-rebuild-spec-'));
    log = await createEventLog({ kind: 'embedded', dir: join(dir, 'log') });
    await log.ensureTopics(TopicSpecs);
    database = await openServiceDatabase({ service: 'api', mode: 'embedded', dataDir: dir });
    live = new PrismaClient({ adapter: database.adapter });
    const bus = new EventBus(log);
    relay = new OutboxRelay({ client: live, log });
    subscription = await new EventStore(live, bus, relay).consume({
      consumer: READ_MODELS_CONSUMER,
      handle: async (tx, events) => {
        await projectEvents(tx, events);
        return [];
      },
    });
    const denied = createEvent(E.FundsDenied, { accountId, objectId: c, requiredMicros: 500, availableMicros: 100 }, ctx);
    const completed = createEvent(E.ObjectCompleted, { objectId: a, accountId, attempt: 1, providerId: 'bargain', mode: 'live', inputTokens: 2, outputTokens: 5, output: { text: 'done' }, providerCostMicros: 1, latencyMs: 9 }, ctx);
    const charged = createEvent(E.Charged, { accountId, objectId: a, amountMicros: 30, reservedMicros: 40, availableMicros: 70 }, ctx);
    const events: SluiceEvent[] = [
      // Billing's answer lands before the object it is about: the projection must not depend on that order.
      denied,
      createEvent(E.WalletCredited, { accountId, amountMicros: 100, reference: 'r1', availableMicros: 100 }, ctx),
      createEvent(E.TaskSubmitted, { taskId, accountId, totalItems: 3, outputFormat: 'json' }, ctx),
      submitted(a, 0),
      submitted(b, 1),
      submitted(c, 2),
      createEvent(E.ObjectScheduled, { objectId: b, accountId, runAt: '2030-01-01T00:30:00.000Z', mode: 'provider_batch', estimatedProviderCostMicros: 1, reason: 'batch' }, ctx),
      createEvent(E.FundsReserved, { accountId, objectId: a, amountMicros: 40, availableMicros: 60 }, ctx),
      completed,
      completed,
      charged,
      charged,
      createEvent(E.ObjectAbandoned, { objectId: b, accountId, attempts: 2, code: 'all_providers_failed', message: 'no luck' }, ctx),
    ];
    for (const event of events) await bus.emit([event]);
    for (const until = Date.now() + 20_000; Date.now() < until; await new Promise((r) => setTimeout(r, 50))) {
      const snapshot = await snapshotReadModels(live);
      if (snapshot.tasks[0]?.completedItems === 1 && snapshot.tasks[0]?.failedItems === 2 && snapshot.transactions.length === 3) break;
    }
  });

  afterAll(async () => {
    await subscription?.stop();
    await relay?.stop();
    await live?.$disconnect();
    await database?.close();
    await log?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('replays the log into fresh read models equal to the live ones', async () => {
    const liveTask = (await snapshotReadModels(live)).tasks[0];
    expect(liveTask).toMatchObject({ taskId, totalItems: 3, completedItems: 1, failedItems: 2 });
    const seen: RebuildProgress[] = [];
    const report = await rebuildReadModels({ log, live, onProgress: (p) => seen.push(p) });
    expect(report).toMatchObject({ equal: true, differenceCount: 0, rows: { objects: 3, tasks: 1, balances: 1 } });
    expect(report.eventsReplayed).toBe(11);
    // Every record on the read models' topics is read (the 13 published), whether or not it is projected.
    expect(seen.at(-1)).toMatchObject({ recordsRead: 13, recordsTotal: 13 });
  });

  it('keeps one wallet transaction per billing movement, the same event twice once, the denial none', async () => {
    const { transactions } = await snapshotReadModels(live);
    const byType = Object.fromEntries(transactions.map((t) => [t.type, t]));
    expect(transactions).toHaveLength(3);
    expect(byType.reservation).toMatchObject({ objectId: a, amountMicros: -40, balanceBeforeMicros: 100, balanceAfterMicros: 60 });
    expect(byType.charge).toMatchObject({ objectId: a, chargedMicros: 30, reservedMicros: 40, amountMicros: 10, balanceBeforeMicros: 60, balanceAfterMicros: 70 });
  });

  it('keeps the counts by status the /metrics gauges read equal to the objects, events seen twice counted once', async () => {
    const counted = await live.$queryRaw<{ status: string; sla_missed: boolean; n: number }[]>`
      SELECT status, sla_missed, count(*)::int AS n FROM object_view GROUP BY status, sla_missed ORDER BY status, sla_missed`;
    expect(counted.map((r) => ({ status: r.status, slaMissed: r.sla_missed, count: r.n }))).toEqual([
      { status: 'completed', slaMissed: false, count: 1 },
      { status: 'failed', slaMissed: false, count: 2 },
    ]);
    expect(await objectStatusCounts(live)).toEqual(counted.map((r) => ({ status: r.status, slaMissed: r.sla_missed, count: r.n })));
  });

  it('names the rows that differ when the live read models drifted, the large tables compared page by page', async () => {
    await live.$executeRaw`UPDATE object_view SET status = 'running' WHERE object_id = ${a}`;
    const [lost] = await live.$queryRaw<{ event_id: string }[]>`DELETE FROM wallet_transaction WHERE type = 'charge' RETURNING event_id`;
    const report = await rebuildReadModels({ log, live, pageRows: 1 });
    expect(report.equal).toBe(false);
    expect(report.rows.objects).toBe(3);
    expect(report.differences).toEqual([
      expect.objectContaining({ table: 'object_view', key: a, live: expect.objectContaining({ status: 'running' }), rebuilt: expect.objectContaining({ status: 'completed' }) }),
      expect.objectContaining({ table: 'wallet_transaction', key: lost.event_id, live: null, rebuilt: expect.objectContaining({ type: 'charge' }) }),
    ]);
    expect(report.differenceCount).toBe(2);
  });

  it('fails with a clear error when the replay stops moving short of the log\'s end, however long the log', async () => {
    // A partition that says it holds records it never delivers.
    const short: EventLog = Object.assign(Object.create(log) as EventLog, { endOffset: async () => 1_000_000 });
    const started = Date.now();
    await expect(rebuildReadModels({ log: short, live, stallTimeoutMs: 300 })).rejects.toThrow(/rebuild: the replay made no progress for \d+ ms/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
