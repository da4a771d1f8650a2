import type { Pricing } from '@sluice/events';
import { NO_CHANGE, type BillingChange, type ReservationState, type WalletState } from '../ledger/billing-state';
import { credit, debit, heldAccount, posting, walletAccount } from '../ledger/ledger-accounts';

export interface ReserveCommand {
  objectId: string;
  accountId: string;
  /** The upper bound of the object's price (see `reservationMicros`). */
  amountMicros: number;
  pricing: Pricing;
  /**
   * The real-time gateway already served the object (it held the bound in its own admission
   * check first): it is never denied; it holds what the wallet has, up to the bound.
   */
  served?: boolean;
}

export interface ReserveState {
  wallet: WalletState | null;
  reservation: ReservationState | null;
}

/**
 * Holds the object's upper-bound price when the wallet can pay it, otherwise denies it and
 * leaves the wallet alone. An object is reserved (or denied) once, whatever is redelivered.
 * A served object is reserved at most what the wallet holds: the charge is capped by the
 * reservation, so the wallet never goes negative even if SLA reservations took funds between
 * the gateway's admission and this event (the exchange then absorbs the difference).
 */
export function decideReserve(command: ReserveCommand, state: ReserveState): BillingChange {
  if (state.reservation) return NO_CHANGE;
  const { objectId, accountId, pricing, served } = command;
  const availableMicros = state.wallet?.availableMicros ?? 0;
  const amountMicros = served && state.wallet ? Math.min(command.amountMicros, availableMicros) : command.amountMicros;
  if (!state.wallet || availableMicros < amountMicros) {
    return {
      outcome: { type: 'FundsDenied', payload: { accountId, objectId, requiredMicros: amountMicros, availableMicros } },
      reservation: { objectId, accountId, amountMicros, pricing, status: 'denied' },
    };
  }
  const wallet = {
    ...state.wallet,
    availableMicros: availableMicros - amountMicros,
    heldMicros: state.wallet.heldMicros + amountMicros,
  };
  return {
    outcome: { type: 'FundsReserved', payload: { accountId, objectId, amountMicros, availableMicros: wallet.availableMicros, ...(served ? { gateway: true as const } : {}) } },
    wallet,
    reservation: { objectId, accountId, amountMicros, pricing, status: 'open' },
    posting: posting('reserve', { accountId, objectId }, [debit(walletAccount(accountId), amountMicros), credit(heldAccount(accountId), amountMicros)]),
  };
}
