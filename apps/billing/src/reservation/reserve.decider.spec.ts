import type { Pricing } from '@sluice/events';
import { NO_CHANGE, type BillingChange } from '../ledger/billing-state';
import { decideReserve, type ReserveCommand, type ReserveState } from './reserve.decider';

const pricing: Pricing = { kind: 'sla', basePrice: { inputMicrosPerMillion: 2_500_000, outputMicrosPerMillion: 10_000_000 }, priceFactor: 0.5 };
const command: ReserveCommand = { objectId: 'o1', accountId: 'a1', amountMicros: 6_250, pricing };
const wallet = (availableMicros: number, heldMicros = 0) => ({ accountId: 'a1', availableMicros, heldMicros });

describe('decideReserve', () => {
  const cases: { name: string; given: ReserveState; when?: Partial<ReserveCommand>; then: BillingChange }[] = [
    {
      name: 'moves the amount from available to held when the wallet covers it',
      given: { wallet: wallet(10_000, 1_000), reservation: null },
      then: {
        outcome: { type: 'FundsReserved', payload: { accountId: 'a1', objectId: 'o1', amountMicros: 6_250, availableMicros: 3_750 } },
        wallet: wallet(3_750, 7_250),
        reservation: { objectId: 'o1', accountId: 'a1', amountMicros: 6_250, pricing, status: 'open' },
        posting: {
          kind: 'reserve',
          accountId: 'a1',
          objectId: 'o1',
          lines: [
            { account: 'wallet:a1', debitMicros: 6_250, creditMicros: 0 },
            { account: 'held:a1', debitMicros: 0, creditMicros: 6_250 },
          ],
        },
      },
    },
    {
      name: 'reserves the last micro-dollar exactly',
      given: { wallet: wallet(6_250), reservation: null },
      then: expect.objectContaining({ wallet: wallet(0, 6_250) }),
    },
    {
      name: 'denies one micro-dollar short and leaves the wallet alone',
      given: { wallet: wallet(6_249), reservation: null },
      then: {
        outcome: { type: 'FundsDenied', payload: { accountId: 'a1', objectId: 'o1', requiredMicros: 6_250, availableMicros: 6_249 } },
        reservation: { objectId: 'o1', accountId: 'a1', amountMicros: 6_250, pricing, status: 'denied' },
      },
    },
    {
      name: 'denies an account that has no wallet yet',
      given: { wallet: null, reservation: null },
      then: expect.objectContaining({
        outcome: { type: 'FundsDenied', payload: { accountId: 'a1', objectId: 'o1', requiredMicros: 6_250, availableMicros: 0 } },
      }),
    },
    {
      name: 'reserves a served (gateway) object in full when the wallet covers it, marked for the scheduler',
      given: { wallet: wallet(10_000), reservation: null },
      when: { served: true },
      then: expect.objectContaining({
        outcome: { type: 'FundsReserved', payload: { accountId: 'a1', objectId: 'o1', amountMicros: 6_250, availableMicros: 3_750, gateway: true } },
        wallet: wallet(3_750, 6_250),
      }),
    },
    {
      name: 'never denies a served object: it holds what the wallet has, down to zero',
      given: { wallet: wallet(1_000), reservation: null },
      when: { served: true },
      then: expect.objectContaining({
        outcome: { type: 'FundsReserved', payload: { accountId: 'a1', objectId: 'o1', amountMicros: 1_000, availableMicros: 0, gateway: true } },
        wallet: wallet(0, 1_000),
        reservation: { objectId: 'o1', accountId: 'a1', amountMicros: 1_000, pricing, status: 'open' },
      }),
    },
    {
      name: 'does nothing for an object already reserved (a resubmission)',
      given: { wallet: wallet(10_000), reservation: { objectId: 'o1', accountId: 'a1', amountMicros: 6_250, pricing, status: 'open' } },
      then: NO_CHANGE,
    },
    {
      name: 'does nothing for an object already denied, even once the wallet could pay',
      given: { wallet: wallet(10_000), reservation: { objectId: 'o1', accountId: 'a1', amountMicros: 6_250, pricing, status: 'denied' } },
      then: NO_CHANGE,
    },
  ];

  it.each(cases)('$name', ({ given, when, then }) => {
    expect(decideReserve({ ...command, ...when }, given)).toEqual(then);
  });

  it('never changes the wallet on a denial', () => {
    expect(decideReserve(command, { wallet: wallet(1), reservation: null }).wallet).toBeUndefined();
  });
});
