import type { Pricing } from '@sluice/events';
import { BooksInconsistentError, NO_CHANGE, type BillingChange, type ReservationState } from '../ledger/billing-state';
import { isBalanced } from '../ledger/ledger-accounts';
import { decideCharge, type ChargeCommand } from './charge.decider';
import { decideRelease } from './release.decider';
import type { SettlementState } from './settlement-state';

const GPT_4O = { inputMicrosPerMillion: 2_500_000, outputMicrosPerMillion: 10_000_000 };
const sla = (priceFactor: number): Pricing => ({ kind: 'sla', basePrice: GPT_4O, priceFactor });
const realtime = (markupBps: number): Pricing => ({ kind: 'realtime', markupBps });
const wallet = (availableMicros: number, heldMicros: number) => ({ accountId: 'a1', availableMicros, heldMicros });
const reservation = (amountMicros: number, pricing: Pricing, status: ReservationState['status'] = 'open'): ReservationState => ({
  objectId: 'o1',
  accountId: 'a1',
  amountMicros,
  pricing,
  status,
});
const usage = (inputTokens: number, outputTokens: number, providerCostMicros = 0): ChargeCommand => ({ objectId: 'o1', inputTokens, outputTokens, providerCostMicros });

describe('decideCharge', () => {
  const cases: { name: string; given: SettlementState; when: ChargeCommand; charged: number; available: number; held: number }[] = [
    {
      name: 'SLA: base price × factor on actual tokens, the rest of the hold back to available',
      given: { wallet: wallet(1_000, 6_250), reservation: reservation(6_250, sla(0.5)) },
      when: usage(1000, 200),
      charged: 2_250,
      available: 5_000,
      held: 0,
    },
    {
      name: 'SLA: rounds a fraction of a micro-dollar up',
      given: { wallet: wallet(0, 100), reservation: reservation(100, sla(0.3)) },
      when: usage(1, 1),
      charged: 4, // (2.5 + 10) µ$ → 13 µ$ by tokenCost, × 0.3 = 3.9 → 4
      available: 96,
      held: 0,
    },
    {
      name: 'SLA: a factor that floats badly (100 × 0.3) still charges exactly 30',
      given: { wallet: wallet(0, 1_000), reservation: reservation(1_000, { kind: 'sla', basePrice: { inputMicrosPerMillion: 100_000_000, outputMicrosPerMillion: 0 }, priceFactor: 0.3 }) },
      when: usage(1, 0),
      charged: 30,
      available: 970,
      held: 0,
    },
    {
      name: 'real-time: provider cost plus the markup, rounded up',
      given: { wallet: wallet(0, 500), reservation: reservation(500, realtime(1_500)) },
      when: usage(10, 10, 101),
      charged: 117, // 101 × 1.15 = 116.15
      available: 383,
      held: 0,
    },
    {
      name: 'caps the charge at the reservation when usage ran over',
      given: { wallet: wallet(0, 300), reservation: reservation(300, realtime(1_000)) },
      when: usage(10, 10, 1_000),
      charged: 300,
      available: 0,
      held: 0,
    },
    {
      name: 'leaves other objects’ holds in place',
      given: { wallet: wallet(0, 9_000), reservation: reservation(6_250, sla(0.5)) },
      when: usage(1000, 200),
      charged: 2_250,
      available: 4_000,
      held: 2_750,
    },
  ];

  it.each(cases)('$name', ({ given, when, charged, available, held }) => {
    const change = decideCharge(when, given);
    expect(change.outcome).toEqual({
      type: 'Charged',
      payload: { accountId: 'a1', objectId: 'o1', amountMicros: charged, reservedMicros: given.reservation?.amountMicros, availableMicros: available },
    });
    expect(change.wallet).toEqual(wallet(available, held));
    expect(change.reservation?.status).toBe('charged');
    expect(change.charge).toEqual({ objectId: 'o1', accountId: 'a1', amountMicros: charged, reservedMicros: given.reservation?.amountMicros });
    expect(change.posting && isBalanced(change.posting.lines)).toBe(true);
  });

  it.each<{ name: string; given: SettlementState }>([
    { name: 'already charged (a retried provider call completing again)', given: { wallet: wallet(5_000, 0), reservation: reservation(6_250, sla(0.5), 'charged') } },
    { name: 'released (abandoned before a late completion)', given: { wallet: wallet(6_250, 0), reservation: reservation(6_250, sla(0.5), 'released') } },
    { name: 'denied', given: { wallet: wallet(10, 0), reservation: reservation(6_250, sla(0.5), 'denied') } },
    { name: 'never reserved', given: { wallet: wallet(10, 0), reservation: null } },
  ])('charges nothing for an object $name', ({ given }) => {
    expect(decideCharge(usage(1000, 200), given)).toBe(NO_CHANGE);
  });

  it('refuses to settle a hold the wallet does not cover', () => {
    expect(() => decideCharge(usage(1, 1), { wallet: wallet(0, 10), reservation: reservation(6_250, sla(0.5)) })).toThrow(BooksInconsistentError);
  });
});

describe('decideRelease', () => {
  it('gives an open hold back to available', () => {
    const change: BillingChange = decideRelease({ wallet: wallet(100, 6_250), reservation: reservation(6_250, sla(0.5)) });
    expect(change).toEqual({
      outcome: { type: 'FundsReleased', payload: { accountId: 'a1', objectId: 'o1', amountMicros: 6_250, availableMicros: 6_350 } },
      wallet: wallet(6_350, 0),
      reservation: reservation(6_250, sla(0.5), 'released'),
      posting: {
        kind: 'release',
        accountId: 'a1',
        objectId: 'o1',
        lines: [
          { account: 'held:a1', debitMicros: 6_250, creditMicros: 0 },
          { account: 'wallet:a1', debitMicros: 0, creditMicros: 6_250 },
        ],
      },
    });
  });

  it.each(['charged', 'released', 'denied'] as const)('releases nothing for a %s reservation', (status) => {
    expect(decideRelease({ wallet: wallet(100, 0), reservation: reservation(6_250, sla(0.5), status) })).toBe(NO_CHANGE);
  });

  it('releases nothing for an object never reserved', () => {
    expect(decideRelease({ wallet: null, reservation: null })).toBe(NO_CHANGE);
  });
});
