import type { RawSqlClient } from '@sluice/persistence';
import { FUNDING_ACCOUNT, REVENUE_ACCOUNT, heldAccount, walletAccount } from './ledger-accounts';

export interface LedgerTotals {
  transactions: number;
  wallets: number;
  fundingMicros: number;
  availableMicros: number;
  heldMicros: number;
  revenueMicros: number;
  chargedMicros: number;
}

export interface LedgerReport {
  ok: boolean;
  discrepancies: string[];
  totals: LedgerTotals;
}

interface Sums {
  debit: bigint;
  credit: bigint;
}

/**
 * Proves the books balance: every transaction balances; each wallet's available and held
 * balances equal their ledger accounts, and held equals its open reservations; no balance is
 * negative; money in (funding) equals wallets + held + revenue; revenue equals the charges,
 * none above its reservation.
 */
export async function checkLedger(db: RawSqlClient): Promise<LedgerReport> {
  const discrepancies: string[] = [];
  const unbalanced = await db.$queryRaw<{ transaction_id: string; debit: bigint; credit: bigint }[]>`
    SELECT transaction_id::text, sum(debit_micros)::bigint AS debit, sum(credit_micros)::bigint AS credit
    FROM ledger_entry GROUP BY transaction_id HAVING sum(debit_micros) <> sum(credit_micros)`;
  for (const t of unbalanced) discrepancies.push(`transaction ${t.transaction_id}: debits ${t.debit} ≠ credits ${t.credit}`);

  const accountRows = await db.$queryRaw<({ account: string } & Sums)[]>`
    SELECT account, sum(debit_micros)::bigint AS debit, sum(credit_micros)::bigint AS credit FROM ledger_entry GROUP BY account`;
  const balances = new Map(accountRows.map((a) => [a.account, a.account === FUNDING_ACCOUNT ? a.debit - a.credit : a.credit - a.debit]));
  for (const [account, balance] of balances) {
    if (balance < 0n) discrepancies.push(`ledger account ${account} is negative: ${balance}`);
  }

  const wallets = await db.$queryRaw<{ account_id: string; available_micros: bigint; held_micros: bigint }[]>`
    SELECT account_id, available_micros, held_micros FROM wallet`;
  const openHeld = new Map(
    (
      await db.$queryRaw<{ account_id: string; held: bigint }[]>`
        SELECT account_id, sum(amount_micros)::bigint AS held FROM reservation WHERE status = 'open' GROUP BY account_id`
    ).map((r) => [r.account_id, r.held]),
  );
  const walletIds = new Set<string>();
  let available = 0n;
  let held = 0n;
  for (const w of wallets) {
    walletIds.add(w.account_id);
    available += w.available_micros;
    held += w.held_micros;
    if (w.available_micros < 0n || w.held_micros < 0n) {
      discrepancies.push(`wallet ${w.account_id} is negative: available ${w.available_micros}, held ${w.held_micros}`);
    }
    const ledgerAvailable = balances.get(walletAccount(w.account_id)) ?? 0n;
    if (ledgerAvailable !== w.available_micros) {
      discrepancies.push(`wallet ${w.account_id}: available ${w.available_micros} but its ledger account says ${ledgerAvailable}`);
    }
    const ledgerHeld = balances.get(heldAccount(w.account_id)) ?? 0n;
    if (ledgerHeld !== w.held_micros) discrepancies.push(`wallet ${w.account_id}: held ${w.held_micros} but its ledger account says ${ledgerHeld}`);
    const reserved = openHeld.get(w.account_id) ?? 0n;
    if (reserved !== w.held_micros) discrepancies.push(`wallet ${w.account_id}: held ${w.held_micros} but its open reservations hold ${reserved}`);
  }
  for (const account of balances.keys()) {
    const owner = /^(wallet|held):(.*)$/.exec(account)?.[2];
    if (owner !== undefined && !walletIds.has(owner)) discrepancies.push(`ledger account ${account} has no wallet`);
  }
  for (const owner of openHeld.keys()) {
    if (!walletIds.has(owner)) discrepancies.push(`open reservations of account ${owner}, which has no wallet`);
  }

  const funding = balances.get(FUNDING_ACCOUNT) ?? 0n;
  const revenue = balances.get(REVENUE_ACCOUNT) ?? 0n;
  const ledgerWallets = sumWhere(balances, 'wallet:');
  const ledgerHeld = sumWhere(balances, 'held:');
  if (funding !== ledgerWallets + ledgerHeld + revenue) {
    discrepancies.push(`funding ${funding} ≠ wallets ${ledgerWallets} + held ${ledgerHeld} + revenue ${revenue}`);
  }

  const [charges] = await db.$queryRaw<{ charged: bigint | null; over: bigint; unsettled: bigint; transactions: bigint }[]>`
    SELECT
      (SELECT sum(amount_micros)::bigint FROM charge) AS charged,
      (SELECT count(*) FROM charge WHERE amount_micros > reserved_micros) AS over,
      (SELECT count(*) FROM charge c LEFT JOIN reservation r ON r.object_id = c.object_id
        WHERE r.status IS DISTINCT FROM 'charged' OR r.amount_micros <> c.reserved_micros) AS unsettled,
      (SELECT count(*) FROM ledger_transaction) AS transactions`;
  const charged = charges.charged ?? 0n;
  if (charged !== revenue) discrepancies.push(`revenue ${revenue} ≠ sum of charges ${charged}`);
  if (charges.over > 0n) discrepancies.push(`${charges.over} charges exceed their reservation`);
  if (charges.unsettled > 0n) discrepancies.push(`${charges.unsettled} charges do not match a charged reservation`);

  return {
    ok: discrepancies.length === 0,
    discrepancies,
    totals: {
      transactions: Number(charges.transactions),
      wallets: wallets.length,
      fundingMicros: Number(funding),
      availableMicros: Number(available),
      heldMicros: Number(held),
      revenueMicros: Number(revenue),
      chargedMicros: Number(charged),
    },
  };
}

function sumWhere(balances: ReadonlyMap<string, bigint>, prefix: string): bigint {
  let sum = 0n;
  for (const [account, balance] of balances) if (account.startsWith(prefix)) sum += balance;
  return sum;
}
