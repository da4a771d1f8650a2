import type { BalanceEvent } from './balance.projection';

/** A movement of the wallet's available balance (what GET /v1/balance shows, reservations held). */
export type TransactionType = 'credit' | 'reservation' | 'charge' | 'release';

export interface TransactionRow {
  /** The billing event's id. */
  eventId: string;
  accountId: string;
  type: TransactionType;
  objectId: string | null;
  reference: string | null;
  /** The change to the available balance: balanceAfter − balanceBefore. */
  amountMicros: number;
  /** A charge: what was charged, and what its reservation held (the rest went back). */
  chargedMicros: number | null;
  reservedMicros: number | null;
  balanceBeforeMicros: number;
  balanceAfterMicros: number;
  createdAt: string;
}

/**
 * The transaction a billing event is, given the balance before it (the balance read model's,
 * which one wallet's ordered partition moves one event at a time), or null for a denial, which
 * moves nothing. Billing reports the balance after each movement; a Charged upcast from v1
 * reports none, and its reservation was its charge, so the balance stays.
 */
export function transactionOf(balanceBeforeMicros: number, event: BalanceEvent): TransactionRow | null {
  const p = event.payload;
  const row = (type: TransactionType, objectId: string | null, after: number, extra: Partial<TransactionRow> = {}): TransactionRow => ({
    eventId: event.eventId,
    accountId: p.accountId,
    type,
    objectId,
    reference: null,
    amountMicros: after - balanceBeforeMicros,
    chargedMicros: null,
    reservedMicros: null,
    balanceBeforeMicros,
    balanceAfterMicros: after,
    createdAt: event.occurredAt,
    ...extra,
  });
  switch (event.type) {
    case 'WalletCredited':
      return row('credit', null, event.payload.availableMicros, { reference: event.payload.reference });
    case 'FundsReserved':
      return row('reservation', event.payload.objectId, event.payload.availableMicros, { reservedMicros: event.payload.amountMicros });
    case 'FundsReleased':
      return row('release', event.payload.objectId, event.payload.availableMicros, { reservedMicros: event.payload.amountMicros });
    case 'Charged': {
      const c = event.payload;
      const after = c.availableMicros ?? balanceBeforeMicros + c.reservedMicros - c.amountMicros;
      return row('charge', c.objectId, after, { chargedMicros: c.amountMicros, reservedMicros: c.reservedMicros });
    }
    case 'FundsDenied':
      return null;
    default: {
      const unexpected: never = event;
      throw new Error(`not a billing movement: ${JSON.stringify(unexpected)}`);
    }
  }
}
