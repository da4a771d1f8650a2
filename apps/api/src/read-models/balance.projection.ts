import type { EventOf, SluiceEvent } from '@sluice/events';

export interface BalanceRow {
  accountId: string;
  availableMicros: number;
  updatedAt: string;
}

export type BalanceEvent = EventOf<'FundsReserved' | 'FundsDenied' | 'FundsReleased' | 'Charged' | 'WalletCredited'>;

const BALANCE_EVENT_TYPES = new Set<string>(['FundsReserved', 'FundsDenied', 'FundsReleased', 'Charged', 'WalletCredited']);

export function isBalanceEvent(event: SluiceEvent): event is BalanceEvent {
  return BALANCE_EVENT_TYPES.has(event.type);
}

/**
 * Billing reports the wallet's available balance after every movement, and one wallet's
 * events are ordered on its partition: the latest report is the balance. A Charged upcast
 * from v1 carries none and leaves the balance as it was.
 */
export function evolveBalance(row: BalanceRow | null, event: BalanceEvent): BalanceRow | null {
  const available = event.payload.availableMicros;
  if (available === undefined) return row;
  return { accountId: event.payload.accountId, availableMicros: available, updatedAt: event.occurredAt };
}
