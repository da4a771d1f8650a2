import { NO_CHANGE, type BillingChange } from '../ledger/billing-state';
import { credit, debit, heldAccount, posting, walletAccount } from '../ledger/ledger-accounts';
import { requireWallet, type SettlementState } from './settlement-state';

/** Gives an open reservation back to the wallet (the object ended without a charge). */
export function decideRelease(state: SettlementState): BillingChange {
  const { reservation } = state;
  if (!reservation || reservation.status !== 'open') return NO_CHANGE;
  const wallet = requireWallet(state.wallet, reservation);
  const { objectId, accountId, amountMicros } = reservation;
  const after = { ...wallet, availableMicros: wallet.availableMicros + amountMicros, heldMicros: wallet.heldMicros - amountMicros };
  return {
    outcome: { type: 'FundsReleased', payload: { accountId, objectId, amountMicros, availableMicros: after.availableMicros } },
    wallet: after,
    reservation: { ...reservation, status: 'released' },
    posting: posting('release', { accountId, objectId }, [debit(heldAccount(accountId), amountMicros), credit(walletAccount(accountId), amountMicros)]),
  };
}
