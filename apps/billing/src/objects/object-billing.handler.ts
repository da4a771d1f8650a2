import type { SluiceEvent, TopicEventMap, Topics } from '@sluice/events';
import type { RawSqlClient } from '@sluice/persistence';
import type { BillingDeps } from '../ledger/billing-deps';
import { NO_CHANGE, type BillingChange } from '../ledger/billing-state';
import { BooksBatch } from '../ledger/books';
import { loadBooks, saveBooks } from '../ledger/books.repository';
import { outcomeEvent } from '../ledger/outcome-events';
import { UnpricedModelError, reservationMicros } from '@sluice/pricing';
import { decideReserve } from '../reservation/reserve.decider';
import { decideCharge } from '../settlement/charge.decider';
import { decideRelease } from '../settlement/release.decider';

type ObjectEvent = TopicEventMap[typeof Topics.objects];
type BilledEvent = Extract<ObjectEvent, { type: 'ObjectSubmitted' | 'ObjectCompleted' | 'ObjectAbandoned' }>;

/** The object events billing acts on; the others need no processed id. */
export const isBilled = (event: SluiceEvent): event is BilledEvent =>
  event.type === 'ObjectSubmitted' || event.type === 'ObjectCompleted' || event.type === 'ObjectAbandoned';

/**
 * Billing's side of an object's life, for one batch of the objects topic in one transaction:
 * ObjectSubmitted reserves, ObjectCompleted charges, ObjectAbandoned releases. ObjectFailed
 * changes nothing, transient or not: the scheduler retries it at no cost to the customer or
 * abandons it, and the abandonment releases the funds.
 */
export async function billObjectEvents(tx: RawSqlClient, events: readonly SluiceEvent[], deps: BillingDeps): Promise<SluiceEvent[]> {
  const billed = events.filter(isBilled);
  if (billed.length === 0) return [];
  const books = new BooksBatch(
    await loadBooks(tx, {
      accountIds: billed.map((e) => e.payload.accountId),
      objectIds: billed.map((e) => e.payload.objectId),
      topUps: [],
    }),
  );
  const produced: SluiceEvent[] = [];
  for (const event of billed) {
    const outcome = books.apply(decideObjectEvent(event, books, deps), event);
    if (outcome) produced.push(outcomeEvent(outcome, event, deps));
  }
  await saveBooks(tx, books.pendingWrites(), deps.now(), deps.newId);
  return produced;
}

function decideObjectEvent(event: BilledEvent, books: BooksBatch, deps: BillingDeps): BillingChange {
  switch (event.type) {
    case 'ObjectSubmitted': {
      const { objectId, accountId, pricing, gateway } = event.payload;
      const state = { wallet: books.wallet(accountId), reservation: books.reservation(objectId) };
      return decideReserve({ objectId, accountId, pricing, amountMicros: reservationBound(event, deps), served: gateway === true }, state);
    }
    case 'ObjectCompleted': {
      const reservation = books.reservation(event.payload.objectId);
      if (!reservation) deps.warn(`ObjectCompleted ${event.payload.objectId} has no reservation; nothing charged`);
      const state = { wallet: reservation ? books.wallet(reservation.accountId) : null, reservation };
      return decideCharge(event.payload, state);
    }
    case 'ObjectAbandoned': {
      const reservation = books.reservation(event.payload.objectId);
      return decideRelease({ wallet: reservation ? books.wallet(reservation.accountId) : null, reservation });
    }
    default: {
      const unknown: never = event;
      deps.warn(`unexpected event ${JSON.stringify(unknown)}`);
      return NO_CHANGE;
    }
  }
}

/** A model no provider prices cannot be bounded: it needs more than any wallet holds, so it is denied. */
function reservationBound(event: Extract<BilledEvent, { type: 'ObjectSubmitted' }>, deps: BillingDeps): number {
  try {
    return reservationMicros(event.payload, deps.catalogue);
  } catch (err) {
    if (!(err instanceof UnpricedModelError)) throw err;
    deps.warn(`object ${event.payload.objectId}: ${err.message}`);
    return Number.MAX_SAFE_INTEGER;
  }
}
