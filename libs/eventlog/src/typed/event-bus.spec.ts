import { Catalogue as E, Topics, createEvent, declareConsumer, encodeEvent, type SluiceEvent } from '@sluice/events';
import type { EventLog, LogRecord, RecordBatch, SubscribeOptions } from '../event-log.port';
import { EventBus, type EventBatchContext } from './event-bus';

/** A log that records what is subscribed and delivers the batches a test hands it. */
function fakeLog() {
  const subscribed: SubscribeOptions[] = [];
  const log = {
    kind: 'embedded',
    subscribe: async (options: SubscribeOptions) => {
      subscribed.push(options);
      return { groupId: options.groupId, assignments: () => [], stop: async () => undefined };
    },
    publish: async () => undefined,
  } as unknown as EventLog;
  let offset = 0;
  const deliver = (events: SluiceEvent[]) => {
    const topic = E[events[0].type].topic;
    const records: LogRecord[] = events.map((e) => ({ ...encodeEvent(e), topic, partition: 0, offset: offset++, timestamp: 0 }));
    const batch: RecordBatch = { topic, partition: 0, records };
    return subscribed[subscribed.length - 1].handleBatch(batch);
  };
  return { log, subscribed, deliver };
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
const failed = createEvent(E.ObjectFailed, { objectId: 'obj-2', accountId: 'acc-1', attempt: 1, transient: true, code: 'x', message: 'x' }, ctx);

describe('EventBus.subscribe: a consumer is what it declares', () => {
  it('reads the topics of the events it handles, and no other', async () => {
    const { log, subscribed } = fakeLog();
    await new EventBus(log).subscribe({
      consumer: declareConsumer({ name: 'planner', handles: ['ObjectSubmitted', 'FundsReserved', 'TaskCancelRequested'] }),
      handle: async () => undefined,
    });
    expect(subscribed[0]).toMatchObject({ groupId: 'planner', topics: [Topics.tasks, Topics.objects, Topics.billing] });
  });

  it('never gives its handler an event it does not declare, even on a topic it reads', async () => {
    const { log, deliver } = fakeLog();
    const seen: SluiceEvent[][] = [];
    const progress: EventBatchContext[] = [];
    await new EventBus(log).subscribe({
      consumer: declareConsumer({ name: 'charges', handles: ['ObjectCompleted'] }),
      handle: async (events) => void seen.push(events),
      progress: (c) => void progress.push(c),
    });
    await deliver([submitted, completed, failed]);
    await deliver([submitted, failed]);
    // The handler ran once, for the one declared event; the batch of undeclared ones never reached it.
    expect(seen.map((batch) => batch.map((e) => e.type))).toEqual([['ObjectCompleted']]);
    expect(seen[0][0].eventId).toBe(completed.eventId);
    // Both batches still count as read (a replay that waits for the end of the log sees it).
    expect(progress.map((p) => p.lastOffset)).toEqual([2, 4]);
  });

  it('reads only the records of the types it handles: a broken record of another type is not its to dead-letter, one of its own or of no known type is', async () => {
    const published: { topic: string; types: (string | undefined)[] }[] = [];
    const { log, subscribed } = fakeLog();
    (log as { publish: EventLog['publish'] }).publish = async (topic, records) => void published.push({ topic, types: records.map((r) => r.headers?.['sluice-event-type']) });
    const seen: string[] = [];
    await new EventBus(log).subscribe({ consumer: declareConsumer({ name: 'charges', handles: ['ObjectCompleted'] }), handle: async (events) => void seen.push(...events.map((e) => e.eventId)) });
    const broken = (event: SluiceEvent, type: string = event.type): LogRecord => {
      const encoded = encodeEvent(event);
      return { ...encoded, headers: { ...encoded.headers, 'sluice-event-type': type }, value: Buffer.from('{"not":"valid"}'), topic: Topics.objects, partition: 0, offset: 0, timestamp: 0 };
    };
    const fine = { ...encodeEvent(completed), topic: Topics.objects, partition: 0, offset: 3, timestamp: 0 };
    await subscribed[0].handleBatch({ topic: Topics.objects, partition: 0, records: [broken(submitted), broken(completed), broken(failed, 'ObjectVanished'), fine] });
    expect(seen).toEqual([completed.eventId]);
    expect(published).toEqual([{ topic: Topics.deadLetter, types: ['ObjectCompleted', 'ObjectVanished'] }]);
  });

  it('joins the group the subscription names, when it is not the consumer name (one per instance)', async () => {
    const { log, subscribed } = fakeLog();
    await new EventBus(log).subscribe({ consumer: declareConsumer({ name: 'health', handles: ['ServiceHeartbeat'] }), groupId: 'health-i1', handle: async () => undefined });
    expect(subscribed[0]).toMatchObject({ groupId: 'health-i1', topics: [Topics.heartbeats] });
  });

  it('refuses a declaration of no event or of an event not in the catalogue', () => {
    expect(() => declareConsumer({ name: 'none', handles: [] })).toThrow(/handles no event/);
    expect(() => declareConsumer({ name: 'typo', handles: ['ObjectCompletd' as 'ObjectCompleted'] })).toThrow(/ObjectCompletd: not in the catalogue/);
  });
});
