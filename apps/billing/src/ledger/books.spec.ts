import type { Pricing } from '@sluice/events';
import { BooksInconsistentError, type BillingChange } from './billing-state';
import { BooksBatch } from './books';
import { credit, debit } from './ledger-accounts';

const pricing: Pricing = { kind: 'realtime', markupBps: 0 };
const cause = (n: number) => ({ eventId: `00000000-0000-4000-8000-00000000000${n}`, occurredAt: `2026-11-23T10:00:0${n}.000Z` });

describe('BooksBatch', () => {
  it('folds changes in order and reports each wallet once, with where it started', () => {
    const books = new BooksBatch({ wallets: [{ accountId: 'a1', availableMicros: 100, heldMicros: 0 }], reservations: [], creditedTopUps: [] });
    books.apply({ outcome: null, wallet: { accountId: 'a1', availableMicros: 60, heldMicros: 40 } }, cause(1));
    books.apply({ outcome: null, wallet: { accountId: 'a1', availableMicros: 70, heldMicros: 0 } }, cause(2));
    expect(books.wallet('a1')).toEqual({ accountId: 'a1', availableMicros: 70, heldMicros: 0 });
    expect(books.pendingWrites().wallets).toEqual([
      { accountId: 'a1', before: { accountId: 'a1', availableMicros: 100, heldMicros: 0 }, after: { accountId: 'a1', availableMicros: 70, heldMicros: 0 } },
    ]);
  });

  it('writes nothing for wallets it only read', () => {
    const books = new BooksBatch({ wallets: [{ accountId: 'a1', availableMicros: 100, heldMicros: 0 }], reservations: [], creditedTopUps: [] });
    expect(books.pendingWrites()).toEqual({ wallets: [], postings: [], reservations: [], charges: [], topUps: [] });
  });

  it('keeps when a reservation opened and when it settled, within one batch', () => {
    const books = new BooksBatch({ wallets: [], reservations: [], creditedTopUps: [] });
    const open = { objectId: 'o1', accountId: 'a1', amountMicros: 5, pricing, status: 'open' as const };
    books.apply({ outcome: null, reservation: open }, cause(1));
    books.apply({ outcome: null, reservation: { ...open, status: 'charged' } }, cause(2));
    expect(books.pendingWrites().reservations).toEqual([{ ...open, status: 'charged', createdAt: cause(1).occurredAt, settledAt: cause(2).occurredAt }]);
  });

  it('remembers a reference credited earlier in the batch, per account', () => {
    const books = new BooksBatch({ wallets: [], reservations: [], creditedTopUps: [{ accountId: 'a1', reference: 'old' }] });
    books.apply({ outcome: null, topUp: { reference: 'new', accountId: 'a1', amountMicros: 1 } }, cause(1));
    expect([books.referenceCredited('a1', 'old'), books.referenceCredited('a1', 'new'), books.referenceCredited('a1', 'other')]).toEqual([true, true, false]);
    expect([books.referenceCredited('a2', 'old'), books.referenceCredited('a2', 'new')]).toEqual([false, false]);
  });

  it.each<{ name: string; change: BillingChange }>([
    {
      name: 'an unbalanced posting',
      change: { outcome: null, posting: { kind: 'charge', accountId: 'a1', lines: [debit('held:a1', 10), credit('revenue', 9)] } },
    },
    { name: 'a negative wallet', change: { outcome: null, wallet: { accountId: 'a1', availableMicros: -1, heldMicros: 0 } } },
  ])('refuses $name', ({ change }) => {
    const books = new BooksBatch({ wallets: [], reservations: [], creditedTopUps: [] });
    expect(() => books.apply(change, cause(1))).toThrow(BooksInconsistentError);
  });
});
