import type { SluiceEvent } from '@sluice/events';
import type { RawSqlClient, TransactionalClient, TransactionOptions } from '../raw-sql-client';

export interface IdempotentOutcome<R> {
  /** Events applied now, in batch order. */
  applied: SluiceEvent[];
  /** Events this consumer had already applied (redeliveries), or repeated within the batch. */
  skipped: SluiceEvent[];
  /** What the effect returned; undefined when every event was skipped (the effect did not run). */
  result: R | undefined;
}

/**
 * Applies `effect` to the events `consumer` has not applied yet, in ONE transaction with
 * the insert of their ids into `processed_event`; redelivered events are skipped, so an
 * effect is never applied twice. Run every query of the effect on `tx`: on PGlite a query
 * on the outer client waits for this transaction to end and never returns.
 *
 * Two consumers racing on one event serialise on the primary key: the second waits for
 * the first to commit, then finds the id taken and skips it.
 */
export async function applyOnce<Tx extends RawSqlClient, R>(
  client: TransactionalClient<Tx>,
  consumer: string,
  events: readonly SluiceEvent[],
  effect: (tx: Tx, newEvents: SluiceEvent[]) => Promise<R>,
  options?: TransactionOptions,
): Promise<IdempotentOutcome<R>> {
  const firstIndex = new Map<string, number>();
  events.forEach((event, i) => {
    if (!firstIndex.has(event.eventId)) firstIndex.set(event.eventId, i);
  });
  const isFirstOfItsId = (event: SluiceEvent, i: number) => firstIndex.get(event.eventId) === i;
  const firstOfEachId = events.filter(isFirstOfItsId);
  if (firstOfEachId.length === 0) return { applied: [], skipped: [], result: undefined };
  return client.$transaction(async (tx) => {
    const inserted = await tx.$queryRaw<{ event_id: string }[]>`
      INSERT INTO processed_event (consumer, event_id)
      SELECT ${consumer}, id FROM unnest(${firstOfEachId.map((e) => e.eventId)}::uuid[]) AS id
      ON CONFLICT DO NOTHING
      RETURNING event_id::text`;
    const isNew = new Set(inserted.map((row) => row.event_id));
    const appliedNow = (event: SluiceEvent, i: number) => isNew.has(event.eventId) && isFirstOfItsId(event, i);
    const applied = events.filter(appliedNow);
    const skipped = events.filter((event, i) => !appliedNow(event, i));
    const result = applied.length > 0 ? await effect(tx, applied) : undefined;
    return { applied, skipped, result };
  }, options);
}
