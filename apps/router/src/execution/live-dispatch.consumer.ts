import { Inject, Injectable, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { declareConsumer, type SluiceEvent } from '@sluice/events';
import { BatchCoalescer, EventBus, type Subscription } from '@sluice/eventlog';
import { EventStore, SQL, TRANSACTION_OPTIONS } from '@sluice/platform';
import { applyOnce, type RawSqlClient, type TransactionalClient } from '@sluice/persistence';
import { logger } from '@sluice/telemetry';
import { ROUTER_OPTIONS, type RouterOptions } from '../router.options';
import { DispatchExecutor, type Dispatch, type DispatchOutcome } from './dispatch-execution';
import { GateClosedError, ProviderGate } from './limited-caller';
import { recordHandled } from './handled-dispatch.repository';

const CONSUMER = declareConsumer({
  name: 'router.dispatch',
  handles: ['ObjectDispatched'],
  description: 'Takes each dispatched attempt into its inbox of pending calls and runs it live (quote, provider call, outcome).',
});
const log = logger('router-dispatch');

const dispatchKey = (objectId: string, attempt: number) => `${objectId}#${attempt}`;
const keyOf = (d: Dispatch) => dispatchKey(d.payload.objectId, d.payload.attempt);

/** The first of each (object, attempt) in the batch: a dispatch delivered twice in one batch runs once. */
function firstOfEach(events: readonly SluiceEvent[]): Dispatch[] {
  const seen = new Set<string>();
  return events.filter((e): e is Dispatch => {
    if (e.type !== 'ObjectDispatched') return false;
    const key = keyOf(e);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Inserts the pending calls not handled or pending already; returns the keys inserted. An
 * attempt of an object that already completed here (live or in a provider batch job) is not
 * run either: the scheduler dispatched it before reading that completion (an escalation while
 * it lags behind the log), and the completion on the log ends the object.
 */
async function insertPending(tx: RawSqlClient, dispatches: readonly Dispatch[]): Promise<Set<string>> {
  if (dispatches.length === 0) return new Set();
  const rows = await tx.$queryRaw<{ object_id: string; attempt: number }[]>`
    INSERT INTO pending_call (object_id, attempt, dispatch)
    SELECT d.object_id, d.attempt, d.dispatch FROM unnest(
      ${dispatches.map((d) => d.payload.objectId)}::text[],
      ${dispatches.map((d) => d.payload.attempt)}::int[],
      ${dispatches.map((d) => JSON.stringify(d))}::jsonb[]) AS d(object_id, attempt, dispatch)
    WHERE NOT EXISTS (
      SELECT 1 FROM handled_dispatch h WHERE h.object_id = d.object_id AND (h.attempt = d.attempt OR h.outcome = 'completed'))
    ON CONFLICT DO NOTHING
    RETURNING object_id, attempt`;
  return new Set(rows.map((r) => dispatchKey(r.object_id, Number(r.attempt))));
}

/** Deletes the pending rows of these outcomes and records them handled; returns the keys actually deleted (still owed). */
async function settle(tx: RawSqlClient, outcomes: readonly DispatchOutcome[]): Promise<Set<string>> {
  const rows = await tx.$queryRaw<{ object_id: string; attempt: number }[]>`
    DELETE FROM pending_call p USING unnest(
      ${outcomes.map((o) => o.dispatch.payload.objectId)}::text[],
      ${outcomes.map((o) => o.dispatch.payload.attempt)}::int[]) AS d(object_id, attempt)
    WHERE p.object_id = d.object_id AND p.attempt = d.attempt
    RETURNING p.object_id, p.attempt`;
  const deleted = new Set(rows.map((r) => dispatchKey(r.object_id, Number(r.attempt))));
  const settled = outcomes.filter((o) => deleted.has(keyOf(o.dispatch)));
  await recordHandled(
    tx,
    settled.map((o) => ({ objectId: o.dispatch.payload.objectId, attempt: o.dispatch.payload.attempt, providerId: o.providerId, outcome: o.outcome })),
  );
  return deleted;
}

/**
 * Executes ObjectDispatched live through an inbox, so that no call waits for another.
 * Consuming a dispatch only inserts its pending call (with the processed id) and commits; each
 * pending call then runs at once, waiting only for room under its provider's limits
 * (ProviderGate), never inside a transaction (on PGlite one transaction locks the whole
 * database, and a provider may take seconds). Its outcome commits in one transaction that
 * deletes the pending row and appends the events (outbox), only if the row was still there:
 * the events are exactly-once. Rows a crash left pending run again at start, so a provider
 * may be called twice for one attempt; billing still charges once per object.
 */
@Injectable()
export class LiveDispatchConsumer implements OnModuleInit, BeforeApplicationShutdown {
  private subscription?: Subscription;
  /** Pending calls running in this process, by object and attempt. */
  private readonly running = new Map<string, Promise<void>>();
  private readonly roomWaiters: (() => void)[] = [];
  // Each answer arrives on its own socket read, and a commit runs without yielding to I/O: a turn
  // of the event loop lets the answers already received join the transaction.
  private readonly outcomes = new BatchCoalescer<DispatchOutcome>((outcomes) => this.record(outcomes), { gatherTurns: 1 });
  /** Outcomes submitted and not yet committed: a stop waits for these, not for calls still open. */
  private readonly recording = new Set<Promise<void>>();
  private stopping = false;

  constructor(
    private readonly bus: EventBus,
    private readonly store: EventStore,
    @Inject(SQL) private readonly db: TransactionalClient,
    private readonly executor: DispatchExecutor,
    private readonly gate: ProviderGate,
    @Inject(ROUTER_OPTIONS) private readonly options: RouterOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    const left = await this.db.$queryRaw<{ dispatch: Dispatch }[]>`SELECT dispatch FROM pending_call ORDER BY received_at`;
    if (left.length > 0) log.info({ pending: left.length }, 'running the dispatches a stop left pending');
    for (const row of left) this.run(typeof row.dispatch === 'string' ? (JSON.parse(row.dispatch) as Dispatch) : row.dispatch);
    this.subscription = await this.bus.subscribe({
      consumer: CONSUMER,
      fromBeginning: true,
      handle: (events) => this.handle(events),
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.subscription?.stop();
    this.stopping = true;
    // Calls waiting for room or open at a provider are not waited for: their rows stay pending
    // and run again at the next start.
    this.gate.close();
    await Promise.allSettled([...this.recording]);
  }

  async handle(events: readonly SluiceEvent[]): Promise<void> {
    const dispatches = firstOfEach(events);
    if (dispatches.length === 0) return;
    // The only wait on the log: more pending calls in memory than the bound allows.
    while (this.running.size >= this.options.maxPendingCalls) await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    let inserted = new Set<string>();
    await applyOnce(
      this.db,
      CONSUMER.name,
      dispatches,
      async (tx, fresh) => {
        inserted = await insertPending(tx, firstOfEach(fresh));
      },
      TRANSACTION_OPTIONS,
    );
    for (const dispatch of dispatches) if (inserted.has(keyOf(dispatch))) this.run(dispatch);
  }

  private run(dispatch: Dispatch): void {
    const key = keyOf(dispatch);
    if (this.running.has(key)) return;
    const done = this.executor
      .execute(dispatch)
      .catch((err: unknown) => (err instanceof GateClosedError ? null : this.executor.internalFailure(dispatch, err)))
      .then((outcome) => (outcome && !this.stopping ? this.recorded(this.outcomes.submit([outcome])) : undefined))
      .catch((err: unknown) => log.error({ objectId: dispatch.payload.objectId, attempt: dispatch.payload.attempt, err }, 'dispatch outcome not recorded; it runs again at the next start'))
      .finally(() => {
        this.running.delete(key);
        this.roomWaiters.shift()?.();
      });
    this.running.set(key, done);
  }

  private async recorded(commit: Promise<void>): Promise<void> {
    this.recording.add(commit);
    try {
      await commit;
    } finally {
      this.recording.delete(commit);
    }
  }

  /** Outcomes that ended while the last ones committed share one transaction. */
  private async record(outcomes: DispatchOutcome[]): Promise<void> {
    await this.store.transact(async (tx) => {
      const deleted = await settle(tx, outcomes);
      return { result: undefined, events: outcomes.filter((o) => deleted.has(keyOf(o.dispatch))).flatMap((o) => o.events) };
    });
  }
}
