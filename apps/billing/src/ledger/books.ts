import {
  BooksInconsistentError,
  type BillingChange,
  type BillingOutcome,
  type ChargeRecord,
  type ReservationState,
  type TopUpRecord,
  type WalletState,
} from './billing-state';
import { isBalanced, type Posting } from './ledger-accounts';

export interface BooksSnapshot {
  wallets: readonly WalletState[];
  reservations: readonly ReservationState[];
  /** Top-ups credited before, by account and reference: a reference is the account's own. */
  creditedTopUps: readonly TopUpRef[];
}

export interface TopUpRef {
  accountId: string;
  reference: string;
}

const topUpKey = (accountId: string, reference: string) => `${accountId}/${reference}`;

/** The event a change came from: postings and settlements carry its id and time. */
export interface Cause {
  eventId: string;
  occurredAt: string;
}

export interface WalletWrite {
  accountId: string;
  /** Absent for a wallet this batch creates. */
  before: WalletState | null;
  after: WalletState;
}

/** Everything a batch of decisions changed, ready to be written in a few statements. */
export interface BooksWrites {
  wallets: WalletWrite[];
  postings: (Posting & { cause: Cause })[];
  /** `createdAt` is the time of the event that opened it (or denied it); `settledAt` of the one that closed it. */
  reservations: (ReservationState & { createdAt: string; settledAt: string | null })[];
  charges: (ChargeRecord & { cause: Cause })[];
  topUps: (TopUpRecord & { cause: Cause })[];
}

/**
 * The part of the books one batch of events touches, in memory: deciders read it, their
 * changes are folded in, in event order, and collected as writes for one transaction.
 */
export class BooksBatch {
  private readonly loadedWallets: ReadonlyMap<string, WalletState>;
  private readonly wallets = new Map<string, WalletState>();
  private readonly reservations = new Map<string, ReservationState>();
  private readonly credited: Set<string>;
  private readonly writes: Omit<BooksWrites, 'wallets' | 'reservations'> = { postings: [], charges: [], topUps: [] };
  private readonly changedReservations = new Map<string, BooksWrites['reservations'][number]>();

  constructor(snapshot: BooksSnapshot) {
    this.loadedWallets = new Map(snapshot.wallets.map((w) => [w.accountId, w]));
    snapshot.wallets.forEach((w) => this.wallets.set(w.accountId, w));
    snapshot.reservations.forEach((r) => this.reservations.set(r.objectId, r));
    this.credited = new Set(snapshot.creditedTopUps.map((t) => topUpKey(t.accountId, t.reference)));
  }

  wallet(accountId: string): WalletState | null {
    return this.wallets.get(accountId) ?? null;
  }

  reservation(objectId: string): ReservationState | null {
    return this.reservations.get(objectId) ?? null;
  }

  referenceCredited(accountId: string, reference: string): boolean {
    return this.credited.has(topUpKey(accountId, reference));
  }

  /** Folds a decision in; returns the event it publishes. Refuses an unbalanced posting. */
  apply(change: BillingChange, cause: Cause): BillingOutcome | null {
    if (change.posting) {
      if (!isBalanced(change.posting.lines)) {
        throw new BooksInconsistentError(`unbalanced ${change.posting.kind} posting: ${JSON.stringify(change.posting.lines)}`);
      }
      this.writes.postings.push({ ...change.posting, cause });
    }
    if (change.wallet) {
      if (change.wallet.availableMicros < 0 || change.wallet.heldMicros < 0) {
        throw new BooksInconsistentError(`wallet ${change.wallet.accountId} would go negative`);
      }
      this.wallets.set(change.wallet.accountId, change.wallet);
    }
    if (change.reservation) {
      this.reservations.set(change.reservation.objectId, change.reservation);
      const { objectId, status } = change.reservation;
      const createdAt = this.changedReservations.get(objectId)?.createdAt ?? cause.occurredAt;
      const settledAt = status === 'charged' || status === 'released' ? cause.occurredAt : null;
      this.changedReservations.set(objectId, { ...change.reservation, createdAt, settledAt });
    }
    if (change.charge) this.writes.charges.push({ ...change.charge, cause });
    if (change.topUp) {
      this.credited.add(topUpKey(change.topUp.accountId, change.topUp.reference));
      this.writes.topUps.push({ ...change.topUp, cause });
    }
    return change.outcome;
  }

  pendingWrites(): BooksWrites {
    const wallets = [...this.wallets.values()]
      .map((after) => ({ accountId: after.accountId, before: this.loadedWallets.get(after.accountId) ?? null, after }))
      .filter((w) => w.before !== w.after);
    return { ...this.writes, wallets, reservations: [...this.changedReservations.values()] };
  }
}
