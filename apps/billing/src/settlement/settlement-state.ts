import { BooksInconsistentError, type ReservationState, type WalletState } from '../ledger/billing-state';

export interface SettlementState {
  wallet: WalletState | null;
  reservation: ReservationState | null;
}

/** An open reservation is always covered by its wallet's held balance; anything else is a bug. */
export function requireWallet(wallet: WalletState | null, reservation: ReservationState): WalletState {
  if (!wallet || wallet.heldMicros < reservation.amountMicros) {
    throw new BooksInconsistentError(
      `object ${reservation.objectId}: ${reservation.amountMicros} µ$ reserved but account ${reservation.accountId} holds ${wallet?.heldMicros ?? 'no wallet'}`,
    );
  }
  return wallet;
}
