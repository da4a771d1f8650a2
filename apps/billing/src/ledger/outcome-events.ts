import {
  Charged,
  FundsDenied,
  FundsReleased,
  FundsReserved,
  WalletCredited,
  causedBy,
  createEvent,
  type EventFactoryDeps,
  type SluiceEvent,
} from '@sluice/events';
import type { BillingOutcome } from './billing-state';

/** Wraps a decision's outcome in an envelope caused by the event that was decided on. */
export function outcomeEvent(outcome: BillingOutcome, cause: SluiceEvent, deps: EventFactoryDeps): SluiceEvent {
  const ctx = causedBy(cause);
  switch (outcome.type) {
    case 'WalletCredited':
      return createEvent(WalletCredited, outcome.payload, ctx, deps);
    case 'FundsReserved':
      return createEvent(FundsReserved, outcome.payload, ctx, deps);
    case 'FundsDenied':
      return createEvent(FundsDenied, outcome.payload, ctx, deps);
    case 'Charged':
      return createEvent(Charged, outcome.payload, ctx, deps);
    case 'FundsReleased':
      return createEvent(FundsReleased, outcome.payload, ctx, deps);
    default: {
      const unknown: never = outcome;
      throw new Error(`unknown billing outcome ${JSON.stringify(unknown)}`);
    }
  }
}
