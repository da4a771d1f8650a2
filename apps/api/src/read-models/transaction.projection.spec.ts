import { Catalogue as E, createEvent } from '@sluice/events';
import type { BalanceEvent } from './balance.projection';
import { transactionOf, type TransactionRow } from './transaction.projection';

let n = 0;
const deps = { now: () => new Date(Date.UTC(2030, 0, 1)), newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}` };
const ctx = { correlationId: 'c' };
const acct = 'acct-1';

const credited = createEvent(E.WalletCredited, { accountId: acct, amountMicros: 1_000_000, reference: 'r1', availableMicros: 1_000_000 }, ctx, deps);
const reserved = createEvent(E.FundsReserved, { accountId: acct, objectId: 'o1', amountMicros: 300_000, availableMicros: 700_000 }, ctx, deps);
const charged = createEvent(E.Charged, { accountId: acct, objectId: 'o1', amountMicros: 120_000, reservedMicros: 300_000, availableMicros: 880_000 }, ctx, deps);
const reserved2 = createEvent(E.FundsReserved, { accountId: acct, objectId: 'o2', amountMicros: 50_000, availableMicros: 830_000 }, ctx, deps);
const released = createEvent(E.FundsReleased, { accountId: acct, objectId: 'o2', amountMicros: 50_000, availableMicros: 880_000 }, ctx, deps);
const denied = createEvent(E.FundsDenied, { accountId: acct, objectId: 'o3', requiredMicros: 9_000_000, availableMicros: 880_000 }, ctx, deps);
/** A Charged upcast from v1 reports no balance: its reservation was its charge. */
const chargedV1 = createEvent(E.Charged, { accountId: acct, objectId: 'o4', amountMicros: 10_000, reservedMicros: 10_000 }, ctx, deps);

/** Folds the events from an empty wallet as the projection does: each one's balance before is the balance so far. */
function history(events: BalanceEvent[]): TransactionRow[] {
  let balance = 0;
  return events.flatMap((event) => {
    const row = transactionOf(balance, event);
    if (event.payload.availableMicros !== undefined) balance = event.payload.availableMicros;
    return row ? [row] : [];
  });
}

describe('wallet transactions projected from billing events', () => {
  const rows = history([credited, reserved, charged, reserved2, released, denied, chargedV1]);

  it.each<[string, number, Partial<TransactionRow>]>([
    ['a credit adds to the balance', 0, { type: 'credit', reference: 'r1', amountMicros: 1_000_000, balanceBeforeMicros: 0, balanceAfterMicros: 1_000_000, objectId: null }],
    ['a reservation holds funds', 1, { type: 'reservation', objectId: 'o1', amountMicros: -300_000, reservedMicros: 300_000, balanceAfterMicros: 700_000 }],
    ['a charge gives back what it did not use', 2, { type: 'charge', chargedMicros: 120_000, reservedMicros: 300_000, amountMicros: 180_000, balanceBeforeMicros: 700_000, balanceAfterMicros: 880_000 }],
    ['a release gives the reservation back', 4, { type: 'release', objectId: 'o2', amountMicros: 50_000, balanceAfterMicros: 880_000 }],
    ['a Charged from v1 moves nothing', 5, { type: 'charge', chargedMicros: 10_000, amountMicros: 0, balanceBeforeMicros: 880_000, balanceAfterMicros: 880_000 }],
  ])('%s', (_, index, expected) => {
    expect(rows[index]).toMatchObject(expected);
  });

  it('a denial is no transaction', () => {
    expect(transactionOf(880_000, denied)).toBeNull();
    expect(rows.map((r) => r.type)).toEqual(['credit', 'reservation', 'charge', 'reservation', 'release', 'charge']);
  });

  it('chains: each balance before is the one after the transaction before it, and each amount the difference', () => {
    rows.slice(1).forEach((row, i) => expect(row.balanceBeforeMicros).toBe(rows[i].balanceAfterMicros));
    for (const row of rows) expect(row.amountMicros).toBe(row.balanceAfterMicros - row.balanceBeforeMicros);
  });

  it('is keyed by its event, so the same event twice is one transaction', () => {
    expect(transactionOf(0, credited)?.eventId).toBe(credited.eventId);
    expect(transactionOf(0, credited)).toEqual(transactionOf(0, credited));
  });
});
