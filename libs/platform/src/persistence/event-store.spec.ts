import { Catalogue as E, createEvent, declareConsumer, encodeEvent, type SluiceEvent } from '@sluice/events';
import { EventBus, type EventLog, type LogRecord, type SubscribeOptions } from '@sluice/eventlog';
import type { OutboxRelay, RawSqlClient, TransactionalClient } from '@sluice/persistence';
import { EventStore } from './event-store';

/** A database that keeps only `processed_event`, and counts its transactions. */
function fakeDatabase() {
  const processed = new Set<string>();
  let transactions = 0;
  const tx: RawSqlClient = {
    $executeRaw: async () => 0,
    $queryRaw: (async (query: TemplateStringsArray, ...values: unknown[]) => {
      if (!query.join('?').includes('INSERT INTO processed_event')) return [];
      const [consumer, ids] = values as [string, string[]];
      const fresh = ids.filter((id) => !processed.has(`${consumer}/${id}`));
      fresh.forEach((id) => processed.add(`${consumer}/${id}`));
      return fresh.map((event_id) => ({ event_id }));
    }) as RawSqlClient['$queryRaw'],
  };
  const client = {
    ...tx,
    $transaction: async <R>(work: (t: RawSqlClient) => Promise<R>) => {
      transactions++;
      return work(tx);
    },
  } as unknown as TransactionalClient;
  return { client, processed, transactions: () => transactions };
}

function fakeLog() {
  let subscribed: SubscribeOptions | undefined;
  let offset = 0;
  const log = {
    kind: 'embedded',
    subscribe: async (options: SubscribeOptions) => {
      subscribed = options;
      return { groupId: options.groupId, assignments: () => [], stop: async () => undefined };
    },
    publish: async () => undefined,
  } as unknown as EventLog;
  const deliver = (events: SluiceEvent[]) => {
    const topic = E[events[0].type].topic;
    const records: LogRecord[] = events.map((e) => ({ ...encodeEvent(e), topic, partition: 0, offset: offset++, timestamp: 0 }));
    return subscribed!.handleBatch({ topic, partition: 0, records });
  };
  return { log, deliver, topics: () => subscribed?.topics };
}

const ctx = { correlationId: 'task-1' };
const submitted = createEvent(
  E.ObjectSubmitted,
  {
    objectId: 'obj-1', taskId: 'task-1', accountId: 'acc-1', index: 0, model: 'm', input: { text: 'hi' }, inputTokens: 1, maxOutputTokens: 8,
    slaMinutes: null, deadlineAt: '2030-01-01T00:00:00.000Z', pricing: { kind: 'realtime', markupBps: 0 },
  },
  ctx,
);
const completed = createEvent(
  E.ObjectCompleted,
  { objectId: 'obj-1', accountId: 'acc-1', attempt: 1, providerId: 'p', mode: 'live', inputTokens: 1, outputTokens: 2, output: { text: 'ok' }, providerCostMicros: 1, latencyMs: 1 },
  ctx,
);

describe('EventStore.consume: a declared consumer', () => {
  it('applies only the events it declares, each once; the others record no processed id and open no transaction', async () => {
    const db = fakeDatabase();
    const { log, deliver, topics } = fakeLog();
    const store = new EventStore(db.client, new EventBus(log), { notify: () => undefined } as unknown as OutboxRelay);
    const handled: string[][] = [];
    await store.consume({
      consumer: declareConsumer({ name: 'charges', handles: ['ObjectCompleted'] }),
      handle: async (_tx, events) => {
        handled.push(events.map((e) => e.type));
        return [];
      },
    });
    expect(topics()).toEqual([E.ObjectCompleted.topic]);

    await deliver([submitted, completed]);
    await deliver([submitted]);
    await deliver([completed]);

    expect(handled).toEqual([['ObjectCompleted']]);
    expect([...db.processed]).toEqual([`charges/${completed.eventId}`]);
    // The batch of an undeclared event opened none; the redelivered one was skipped in its own.
    expect(db.transactions()).toBe(2);
  });
});
