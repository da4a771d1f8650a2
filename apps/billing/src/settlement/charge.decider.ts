import { NO_CHANGE, type BillingChange } from '../ledger/billing-state';
import { REVENUE_ACCOUNT, credit, debit, heldAccount, posting, walletAccount } from '../ledger/ledger-accounts';
import { customerPriceMicros, type ActualUsage } from '@sluice/pricing';
import { requireWallet, type SettlementState } from './settlement-state';

export interface ChargeCommand extends ActualUsage {
  objectId: string;
}

/**
 * Settles an open reservation exactly once: the price on actual usage, capped at what was
 * held, goes to revenue and the rest back to the wallet. A completion for an object that is
 * not reserved (denied, released, already charged, unknown) charges nothing: a retried
 * provider call is never billed twice and an abandoned object never at all.
 */
export function decideCharge(command: ChargeCommand, state: SettlementState): BillingChange {
  const { reservation } = state;
  if (!reservation || reservation.status !== 'open') return NO_CHANGE;
  const wallet = requireWallet(state.wallet, reservation);
  const { objectId, accountId, amountMicros: reservedMicros } = reservation;
  const amountMicros = Math.min(customerPriceMicros(reservation.pricing, command), reservedMicros);
  const refundMicros = reservedMicros - amountMicros;
  const after = {
    ...wallet,
    availableMicros: wallet.availableMicros + refundMicros,
    heldMicros: wallet.heldMicros - reservedMicros,
  };
  return {
    outcome: { type: 'Charged', payload: { accountId, objectId, amountMicros, reservedMicros, availableMicros: after.availableMicros } },
    wallet: after,
    reservation: { ...reservation, status: 'charged' },
    charge: { objectId, accountId, amountMicros, reservedMicros },
    posting: posting('charge', { accountId, objectId }, [
      debit(heldAccount(accountId), reservedMicros),
      credit(REVENUE_ACCOUNT, amountMicros),
      credit(walletAccount(accountId), refundMicros),
    ]),
  };
}
