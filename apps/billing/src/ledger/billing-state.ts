import type { PayloadOf, Charged, FundsDenied, FundsReleased, FundsReserved, Pricing, WalletCredited } from '@sluice/events';
import type { Posting } from './ledger-accounts';

export interface WalletState {
  accountId: string;
  availableMicros: number;
  heldMicros: number;
}

export type ReservationStatus = 'open' | 'charged' | 'released' | 'denied';

export interface ReservationState {
  objectId: string;
  accountId: string;
  /** Held while open; for a denied reservation, what it would have needed. */
  amountMicros: number;
  pricing: Pricing;
  status: ReservationStatus;
}

export interface ChargeRecord {
  objectId: string;
  accountId: string;
  amountMicros: number;
  reservedMicros: number;
}

export interface TopUpRecord {
  reference: string;
  accountId: string;
  amountMicros: number;
}

/** The event a decision publishes, as a payload (the consumer wraps it in an envelope). */
export type BillingOutcome =
  | { type: 'WalletCredited'; payload: PayloadOf<typeof WalletCredited> }
  | { type: 'FundsReserved'; payload: PayloadOf<typeof FundsReserved> }
  | { type: 'FundsDenied'; payload: PayloadOf<typeof FundsDenied> }
  | { type: 'Charged'; payload: PayloadOf<typeof Charged> }
  | { type: 'FundsReleased'; payload: PayloadOf<typeof FundsReleased> };

/** What a decider decides: new states to store, a balanced posting, the event to publish. */
export interface BillingChange {
  outcome: BillingOutcome | null;
  wallet?: WalletState;
  reservation?: ReservationState;
  charge?: ChargeRecord;
  topUp?: TopUpRecord;
  posting?: Posting;
}

export const NO_CHANGE: BillingChange = { outcome: null };

/** An invariant of the books does not hold: the batch must not commit. */
export class BooksInconsistentError extends Error {
  readonly code = 'books_inconsistent';

  constructor(message: string) {
    super(message);
    this.name = 'BooksInconsistentError';
  }
}
