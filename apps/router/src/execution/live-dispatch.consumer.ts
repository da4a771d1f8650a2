import { Inject, Injectable, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Topics, type SluiceEvent } from '@sluice/events';
import { EventBus, type Subscription } from '@sluice/eventlog';
import { EventStore, SQL } from '@sluice/platform';
import type { RawSqlClient } from '@sluice/persistence';
import { ROUTER_OPTIONS, type RouterOptions } from '../router.options';
import { mapBounded } from './bounded';
import { DispatchExecutor, type Dispatch, type DispatchOutcome } from './dispatch-execution';

const dispatchKey = (objectId: string, attempt: number) => `${objectId}#${attempt}`;

/** The first of each (object, attempt) in the batch: a dispatch delivered twice in one batch runs once. */
function firstOfEach(events: readonly SluiceEvent[]): Dispatch[] {
  const seen = new Set<string>();
  return events.filter((e): e is Dispatch => {
    if (e.type !== 'ObjectDispatched') return false;
    const key = dispatchKey(e.payload.objectId, e.payload.attempt);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

async function alreadyHandled(tx: RawSqlClient, dispatches: readonly Dispatch[]): Promise<Set<string>> {
  const rows = await tx.$queryRaw<{ object_id: string; attempt: number }[]>`
    SELECT h.object_id, h.attempt FROM handled_dispatch h
    JOIN unnest(${dispatches.map((d) => d.payload.objectId)}::text[], ${dispatches.map((d) => d.payload.attempt)}::int[]) AS d(object_id, attempt)
      ON h.object_id = d.object_id AND h.attempt = d.attempt`;
  return new Set(rows.map((r) => dispatchKey(r.object_id, Number(r.attempt))));
}

/** Inserts the handled rows; returns the keys actually inserted (a concurrent redelivery may have won). */
async function recordHandled(tx: RawSqlClient, outcomes: readonly DispatchOutcome[]): Promise<Set<string>> {
  const rows = await tx.$queryRaw<{ object_id: string; attempt: number }[]>`
    INSERT INTO handled_dispatch (object_id, attempt, provider_id, outcome)
    SELECT * FROM unnest(
      ${outcomes.map((o) => o.dispatch.payload.objectId)}::text[],
      ${outcomes.map((o) => o.dispatch.payload.attempt)}::int[],
      ${outcomes.map((o) => o.providerId)}::text[],
      ${outcomes.map((o) => o.outcome)}::text[])
    ON CONFLICT DO NOTHING
    RETURNING object_id, attempt`;
  return new Set(rows.map((r) => dispatchKey(r.object_id, Number(r.attempt))));
}

/**
 * Executes ObjectDispatched live. Provider calls never run inside a database transaction
 * (on PGlite one transaction locks the whole database, and a provider may take seconds), so
 * this does not use EventStore.consume: it skips dispatches already handled, calls the
 * providers concurrently outside any transaction, then records the handled rows and emits
 * the events in one transaction, only for rows it actually inserted. A crash between a call
 * and its record calls that provider again on redelivery; the customer is still charged once,
 * because billing charges once per object.
 */
@Injectable()
export class LiveDispatchConsumer implements OnModuleInit, BeforeApplicationShutdown {
  private subscription?: Subscription;

  constructor(
    private readonly bus: EventBus,
    private readonly store: EventStore,
    @Inject(SQL) private readonly db: RawSqlClient,
    private readonly executor: DispatchExecutor,
    @Inject(ROUTER_OPTIONS) private readonly options: RouterOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    this.subscription = await this.bus.subscribe({
      groupId: 'router.dispatch',
      topics: [Topics.objects],
      fromBeginning: true,
      handle: (events) => this.handle(events),
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.subscription?.stop();
  }

  async handle(events: readonly SluiceEvent[]): Promise<void> {
    const dispatches = firstOfEach(events);
    if (dispatches.length === 0) return;
    const handled = await alreadyHandled(this.db, dispatches);
    const fresh = dispatches.filter((d) => !handled.has(dispatchKey(d.payload.objectId, d.payload.attempt)));
    if (fresh.length === 0) return;
    const outcomes = await mapBounded(fresh, this.options.concurrency, (d) => this.executor.execute(d).catch((err: unknown) => this.executor.internalFailure(d, err)));
    await this.store.transact(async (tx) => {
      const inserted = await recordHandled(tx, outcomes);
      const events = outcomes.filter((o) => inserted.has(dispatchKey(o.dispatch.payload.objectId, o.dispatch.payload.attempt))).flatMap((o) => o.events);
      return { result: undefined, events };
    });
  }
}
