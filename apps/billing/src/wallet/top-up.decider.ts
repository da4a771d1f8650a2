import { NO_CHANGE, type BillingChange, type WalletState } from '../ledger/billing-state';
import { FUNDING_ACCOUNT, credit, debit, posting, walletAccount } from '../ledger/ledger-accounts';

export interface TopUpCommand {
  accountId: string;
  amountMicros: number;
  reference: string;
}

export interface TopUpState {
  wallet: WalletState | null;
  /** A top-up with this reference was credited to this account before (under any event id). */
  referenceCredited: boolean;
}

/** Credits the wallet once per (account, reference): money in from outside moves from `funding` to the wallet. */
export function decideTopUp(command: TopUpCommand, state: TopUpState): BillingChange {
  if (state.referenceCredited) return NO_CHANGE;
  const { accountId, amountMicros, reference } = command;
  const before = state.wallet ?? { accountId, availableMicros: 0, heldMicros: 0 };
  const wallet = { ...before, availableMicros: before.availableMicros + amountMicros };
  return {
    outcome: { type: 'WalletCredited', payload: { accountId, amountMicros, reference, availableMicros: wallet.availableMicros } },
    wallet,
    topUp: { reference, accountId, amountMicros },
    posting: posting('top_up', { accountId, reference }, [debit(FUNDING_ACCOUNT, amountMicros), credit(walletAccount(accountId), amountMicros)]),
  };
}
