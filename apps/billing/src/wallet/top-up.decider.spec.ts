import { NO_CHANGE } from '../ledger/billing-state';
import { decideTopUp } from './top-up.decider';

describe('decideTopUp', () => {
  const command = { accountId: 'a1', amountMicros: 5_000_000, reference: 'pay-1' };

  it.each([
    { name: 'opens the wallet of a new account', wallet: null, available: 5_000_000, held: 0 },
    { name: 'adds to an existing wallet and keeps its holds', wallet: { accountId: 'a1', availableMicros: 250, heldMicros: 75 }, available: 5_000_250, held: 75 },
  ])('$name', ({ wallet, available, held }) => {
    expect(decideTopUp(command, { wallet, referenceCredited: false })).toEqual({
      outcome: { type: 'WalletCredited', payload: { accountId: 'a1', amountMicros: 5_000_000, reference: 'pay-1', availableMicros: available } },
      wallet: { accountId: 'a1', availableMicros: available, heldMicros: held },
      topUp: { reference: 'pay-1', accountId: 'a1', amountMicros: 5_000_000 },
      posting: {
        kind: 'top_up',
        accountId: 'a1',
        reference: 'pay-1',
        lines: [
          { account: 'funding', debitMicros: 5_000_000, creditMicros: 0 },
          { account: 'wallet:a1', debitMicros: 0, creditMicros: 5_000_000 },
        ],
      },
    });
  });

  it('credits a reference once', () => {
    expect(decideTopUp(command, { wallet: { accountId: 'a1', availableMicros: 5_000_000, heldMicros: 0 }, referenceCredited: true })).toBe(NO_CHANGE);
  });
});
