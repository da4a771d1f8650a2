import type { Pricing } from '@sluice/events';
import type { RawSqlClient } from '@sluice/persistence';
import { BooksInconsistentError, type ReservationStatus, type WalletState } from './billing-state';
import type { BooksSnapshot, BooksWrites, TopUpRef } from './books';

export interface BooksKeys {
  accountIds: readonly string[];
  objectIds: readonly string[];
  topUps: readonly TopUpRef[];
}

interface WalletRow {
  account_id: string;
  available_micros: bigint;
  held_micros: bigint;
}

interface ReservationRow {
  object_id: string;
  account_id: string;
  amount_micros: bigint;
  pricing: Pricing;
  status: ReservationStatus;
}

const unique = (values: readonly string[]) => [...new Set(values)];

/**
 * Reads what a batch touches (the wallets of its accounts and of its objects' reservations).
 * The wallets are locked, in account order, until the batch
 * commits: two batches touching one wallet (different partitions of the objects topic,
 * or a top-up) run one after the other, and never deadlock.
 */
export async function loadBooks(tx: RawSqlClient, keys: BooksKeys): Promise<BooksSnapshot> {
  const objectIds = unique(keys.objectIds);
  const reservations =
    objectIds.length === 0
      ? []
      : await tx.$queryRaw<ReservationRow[]>`
          SELECT object_id, account_id, amount_micros, pricing, status FROM reservation
          WHERE object_id = ANY(${objectIds}::text[])`;
  const accountIds = unique([...keys.accountIds, ...reservations.map((r) => r.account_id)]).sort();
  const wallets =
    accountIds.length === 0
      ? []
      : await tx.$queryRaw<WalletRow[]>`
          SELECT account_id, available_micros, held_micros FROM wallet
          WHERE account_id = ANY(${accountIds}::text[]) ORDER BY account_id FOR UPDATE`;
  const credited =
    keys.topUps.length === 0
      ? []
      : await tx.$queryRaw<{ account_id: string; reference: string }[]>`
          SELECT account_id, reference FROM top_up
          WHERE (account_id, reference) IN (SELECT * FROM unnest(${keys.topUps.map((t) => t.accountId)}::text[], ${keys.topUps.map((t) => t.reference)}::text[]))`;
  return {
    wallets: wallets.map(toWallet),
    reservations: reservations.map((r) => ({
      objectId: r.object_id,
      accountId: r.account_id,
      amountMicros: Number(r.amount_micros),
      pricing: r.pricing,
      status: r.status,
    })),
    creditedTopUps: credited.map((r) => ({ accountId: r.account_id, reference: r.reference })),
  };
}

function toWallet(row: WalletRow): WalletState {
  return { accountId: row.account_id, availableMicros: Number(row.available_micros), heldMicros: Number(row.held_micros) };
}

/** Writes a batch's changes in a handful of statements (a query costs ~2 ms here, a row almost nothing). */
export async function saveBooks(tx: RawSqlClient, writes: BooksWrites, now: Date, newId: () => string): Promise<void> {
  await saveWallets(tx, writes.wallets, now);
  const transactionIds = writes.postings.map(() => newId());
  const postingIds = new Map(writes.postings.map((p, i) => [postingKey(p.kind, p.kind === 'top_up' ? `${p.accountId}/${p.reference}` : p.objectId), transactionIds[i]]));
  const transactionIdOf = (kind: 'charge' | 'top_up', key: string) => {
    const id = postingIds.get(postingKey(kind, key));
    if (!id) throw new BooksInconsistentError(`${kind} ${key} has no posting`);
    return id;
  };
  if (writes.postings.length > 0) {
    await tx.$executeRaw`
      INSERT INTO ledger_transaction (id, kind, account_id, object_id, reference, cause_id, occurred_at)
      SELECT * FROM unnest(
        ${transactionIds}::uuid[], ${writes.postings.map((p) => p.kind)}::text[], ${writes.postings.map((p) => p.accountId)}::text[],
        ${writes.postings.map((p) => p.objectId ?? null)}::text[], ${writes.postings.map((p) => p.reference ?? null)}::text[],
        ${writes.postings.map((p) => p.cause.eventId)}::uuid[], ${writes.postings.map((p) => p.cause.occurredAt)}::timestamptz[])`;
    const lines = writes.postings.flatMap((p, i) => p.lines.map((line) => ({ ...line, transactionId: transactionIds[i] })));
    await tx.$executeRaw`
      INSERT INTO ledger_entry (transaction_id, account, debit_micros, credit_micros)
      SELECT * FROM unnest(
        ${lines.map((l) => l.transactionId)}::uuid[], ${lines.map((l) => l.account)}::text[],
        ${lines.map((l) => l.debitMicros)}::bigint[], ${lines.map((l) => l.creditMicros)}::bigint[])`;
  }
  if (writes.reservations.length > 0) {
    const rs = writes.reservations;
    await tx.$executeRaw`
      INSERT INTO reservation (object_id, account_id, amount_micros, pricing, status, created_at, settled_at)
      SELECT * FROM unnest(
        ${rs.map((r) => r.objectId)}::text[], ${rs.map((r) => r.accountId)}::text[], ${rs.map((r) => r.amountMicros)}::bigint[],
        ${rs.map((r) => JSON.stringify(r.pricing))}::jsonb[], ${rs.map((r) => r.status)}::text[],
        ${rs.map((r) => r.createdAt)}::timestamptz[], ${rs.map((r) => r.settledAt)}::timestamptz[])
      ON CONFLICT (object_id) DO UPDATE SET status = EXCLUDED.status, settled_at = EXCLUDED.settled_at`;
  }
  if (writes.charges.length > 0) {
    const cs = writes.charges;
    const chargeTx = cs.map((c) => transactionIdOf('charge', c.objectId));
    await tx.$executeRaw`
      INSERT INTO charge (object_id, account_id, amount_micros, reserved_micros, transaction_id, created_at)
      SELECT * FROM unnest(
        ${cs.map((c) => c.objectId)}::text[], ${cs.map((c) => c.accountId)}::text[], ${cs.map((c) => c.amountMicros)}::bigint[],
        ${cs.map((c) => c.reservedMicros)}::bigint[], ${chargeTx}::uuid[], ${cs.map((c) => c.cause.occurredAt)}::timestamptz[])`;
  }
  if (writes.topUps.length > 0) {
    const ts = writes.topUps;
    const topUpTx = ts.map((t) => transactionIdOf('top_up', `${t.accountId}/${t.reference}`));
    await tx.$executeRaw`
      INSERT INTO top_up (reference, account_id, amount_micros, transaction_id, created_at)
      SELECT * FROM unnest(
        ${ts.map((t) => t.reference)}::text[], ${ts.map((t) => t.accountId)}::text[], ${ts.map((t) => t.amountMicros)}::bigint[],
        ${topUpTx}::uuid[], ${ts.map((t) => t.cause.occurredAt)}::timestamptz[])`;
  }
}

const postingKey = (kind: string, key: string | undefined) => `${kind}:${key ?? ''}`;

/**
 * Existing wallets move by their batch's net change, and only while neither balance goes
 * below zero (the row count proves it); new wallets (a first top-up) are inserted.
 */
async function saveWallets(tx: RawSqlClient, wallets: BooksWrites['wallets'], now: Date): Promise<void> {
  const existing = wallets.filter((w) => w.before !== null);
  const created = wallets.filter((w) => w.before === null);
  if (existing.length > 0) {
    const availableDelta = existing.map((w) => w.after.availableMicros - (w.before?.availableMicros ?? 0));
    const heldDelta = existing.map((w) => w.after.heldMicros - (w.before?.heldMicros ?? 0));
    const updated = await tx.$executeRaw`
      UPDATE wallet w SET
        available_micros = w.available_micros + d.available_delta,
        held_micros = w.held_micros + d.held_delta,
        updated_at = ${now}
      FROM unnest(${existing.map((w) => w.accountId)}::text[], ${availableDelta}::bigint[], ${heldDelta}::bigint[])
        AS d(account_id, available_delta, held_delta)
      WHERE w.account_id = d.account_id
        AND w.available_micros + d.available_delta >= 0
        AND w.held_micros + d.held_delta >= 0`;
    if (updated !== existing.length) {
      throw new BooksInconsistentError(`a wallet update would overdraw (${updated} of ${existing.length} applied); batch rolled back`);
    }
  }
  if (created.length > 0) {
    await tx.$executeRaw`
      INSERT INTO wallet (account_id, available_micros, held_micros, updated_at)
      SELECT account_id, available_micros, held_micros, ${now} FROM unnest(
        ${created.map((w) => w.accountId)}::text[], ${created.map((w) => w.after.availableMicros)}::bigint[],
        ${created.map((w) => w.after.heldMicros)}::bigint[]) AS d(account_id, available_micros, held_micros)`;
  }
}
