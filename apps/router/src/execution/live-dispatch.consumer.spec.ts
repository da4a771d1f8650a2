import { randomUUID } from 'node:crypto';
import { ObjectCompleted, ObjectDispatched, causedBy, createEvent, type SluiceEvent } from '@sluice/events';
import type { EventBus } from '@sluice/eventlog';
import type { EventStore } from '@sluice/platform';
import type { RawSqlClient, TransactionalClient } from '@sluice/persistence';
import { defaultRouterOptions } from '../router.options';
import type { Dispatch, DispatchExecutor, DispatchOutcome } from './dispatch-execution';
import type { ProviderGate } from './limited-caller';
import { LiveDispatchConsumer } from './live-dispatch.consumer';

const dispatch = (): Dispatch => {
  const objectId = randomUUID();
  return createEvent(
    ObjectDispatched,
    {
      objectId, accountId: 'acct-1', attempt: 1, work: { model: 'qwen-7b', input: { text: 'Hi' }, maxOutputTokens: 8 },
      deadlineAt: new Date(Date.now() + 3_600_000).toISOString(), pricing: { kind: 'realtime', markupBps: 0 }, avoidProviders: [], escalated: false,
    },
    { correlationId: objectId },
  );
};

const completed = (d: Dispatch): DispatchOutcome => ({
  dispatch: d,
  outcome: 'completed',
  providerId: 'swift',
  events: [
    createEvent(
      ObjectCompleted,
      { objectId: d.payload.objectId, accountId: 'acct-1', attempt: 1, providerId: 'swift', mode: 'live', inputTokens: 1, outputTokens: 1, output: { text: 'Hello' }, providerCostMicros: 1, latencyMs: 1 },
      causedBy(d),
    ),
  ],
});

/** Answers every statement as if each row were new: the inbox takes each dispatch, each outcome finds its row. */
const sqlOf = (strings: TemplateStringsArray) => strings.join('?');
function fakeTx(): RawSqlClient {
  return {
    $queryRaw: async <T,>(strings: TemplateStringsArray, ...values: unknown[]) => {
      const sql = sqlOf(strings);
      const ids = values.find(Array.isArray) as string[];
      if (sql.includes('processed_event')) return ids.map((id) => ({ event_id: id })) as T;
      const attempts = values.filter(Array.isArray)[1] as number[];
      return ids.map((id, i) => ({ object_id: id, attempt: attempts[i] })) as T;
    },
    $executeRaw: async () => 0,
  };
}

/** A commit on PGlite runs its statements without yielding to I/O: this one holds the thread for 2 ms. */
const busyFor = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

describe('the router records the outcomes of calls that end together in one transaction', () => {
  it('100 answers arriving one per event-loop callback commit in a few transactions, each outcome once', async () => {
    const recorded: SluiceEvent[][] = [];
    const store = {
      transact: async (change: (tx: RawSqlClient) => Promise<{ events: SluiceEvent[] }>) => {
        const { events } = await change(fakeTx());
        busyFor(2);
        recorded.push(events);
      },
    } as unknown as EventStore;
    const db = { $transaction: (fn: (tx: RawSqlClient) => Promise<unknown>) => fn(fakeTx()) } as unknown as TransactionalClient;
    // Each answer comes in its own timer callback, as each provider response arrives on its own socket read.
    const executor = { execute: (d: Dispatch) => new Promise<DispatchOutcome>((resolve) => setTimeout(() => resolve(completed(d)), 5)) } as unknown as DispatchExecutor;
    const consumer = new LiveDispatchConsumer({} as EventBus, store, db, executor, {} as ProviderGate, defaultRouterOptions);

    const dispatches = Array.from({ length: 100 }, dispatch);
    await consumer.handle(dispatches);
    for (let waited = 0; recorded.flat().length < 100 && waited < 5_000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));

    const objectIds = recorded.flat().map((e) => (e as { payload: { objectId: string } }).payload.objectId);
    expect(objectIds.sort()).toEqual(dispatches.map((d) => d.payload.objectId).sort());
    // One transaction per answer without the wait for the answers already received.
    expect(recorded.length).toBeLessThanOrEqual(5);
  });
});
