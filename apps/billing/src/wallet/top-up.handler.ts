import type { SluiceEvent } from '@sluice/events';
import type { RawSqlClient } from '@sluice/persistence';
import type { BillingDeps } from '../ledger/billing-deps';
import { BooksBatch } from '../ledger/books';
import { loadBooks, saveBooks } from '../ledger/books.repository';
import { outcomeEvent } from '../ledger/outcome-events';
import { decideTopUp } from './top-up.decider';

type TopUpRequest = Extract<SluiceEvent, { type: 'WalletTopUpRequested' }>;

export const isTopUpRequest = (e: SluiceEvent): e is TopUpRequest => e.type === 'WalletTopUpRequested';

/** Credits the wallets of a batch of top-up requests; the billing topic's other events are billing's own. */
export async function creditTopUps(tx: RawSqlClient, events: readonly SluiceEvent[], deps: BillingDeps): Promise<SluiceEvent[]> {
  const requests = events.filter(isTopUpRequest);
  if (requests.length === 0) return [];
  const books = new BooksBatch(
    await loadBooks(tx, {
      accountIds: requests.map((e) => e.payload.accountId),
      objectIds: [],
      topUps: requests.map((e) => e.payload),
    }),
  );
  const produced: SluiceEvent[] = [];
  for (const event of requests) {
    const { accountId, reference } = event.payload;
    const change = decideTopUp(event.payload, { wallet: books.wallet(accountId), referenceCredited: books.referenceCredited(accountId, reference) });
    const outcome = books.apply(change, event);
    if (outcome) produced.push(outcomeEvent(outcome, event, deps));
  }
  await saveBooks(tx, books.pendingWrites(), deps.now(), deps.newId);
  return produced;
}
