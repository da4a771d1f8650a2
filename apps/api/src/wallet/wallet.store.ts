import type { RawSqlClient } from '@sluice/persistence';
import type { TransactionRow, TransactionType } from '../read-models/transaction.projection';
import type { RowSelection } from '../read-models/read-model.store';

interface TransactionRecord {
  event_id: string;
  account_id: string;
  type: string;
  object_id: string | null;
  reference: string | null;
  amount_micros: bigint | number;
  charged_micros: bigint | number | null;
  reserved_micros: bigint | number | null;
  balance_before_micros: bigint | number;
  balance_after_micros: bigint | number;
  created_at: Date;
}

const num = (v: bigint | number | null) => (v === null ? null : Number(v));

function toTransactionRow(r: TransactionRecord): TransactionRow {
  return {
    eventId: r.event_id,
    accountId: r.account_id,
    type: r.type as TransactionType,
    objectId: r.object_id,
    reference: r.reference,
    amountMicros: Number(r.amount_micros),
    chargedMicros: num(r.charged_micros),
    reservedMicros: num(r.reserved_micros),
    balanceBeforeMicros: Number(r.balance_before_micros),
    balanceAfterMicros: Number(r.balance_after_micros),
    createdAt: new Date(r.created_at).toISOString(),
  };
}

/** Appends the batch's transactions in their order (the sequence orders an account's); an event seen before adds nothing. */
export async function saveTransactions(tx: RawSqlClient, rows: readonly TransactionRow[]): Promise<void> {
  if (rows.length === 0) return;
  const col = <K extends keyof TransactionRow>(k: K) => rows.map((r) => r[k]);
  const big = <K extends keyof TransactionRow>(k: K) => rows.map((r) => (r[k] === null ? null : String(r[k])));
  await tx.$executeRaw`
    INSERT INTO wallet_transaction (event_id, account_id, type, object_id, reference, amount_micros, charged_micros, reserved_micros,
      balance_before_micros, balance_after_micros, created_at)
    SELECT event_id, account_id, type, object_id, reference, amount_micros, charged_micros, reserved_micros,
      balance_before_micros, balance_after_micros, created_at
    FROM unnest(
      ${col('eventId')}::text[], ${col('accountId')}::text[], ${col('type')}::text[], ${col('objectId')}::text[], ${col('reference')}::text[],
      ${big('amountMicros')}::text[]::bigint[], ${big('chargedMicros')}::text[]::bigint[], ${big('reservedMicros')}::text[]::bigint[],
      ${big('balanceBeforeMicros')}::text[]::bigint[], ${big('balanceAfterMicros')}::text[]::bigint[], ${col('createdAt')}::text[]::timestamptz[])
      WITH ORDINALITY AS t(event_id, account_id, type, object_id, reference, amount_micros, charged_micros, reserved_micros,
        balance_before_micros, balance_after_micros, created_at, n)
    ORDER BY n
    ON CONFLICT (event_id) DO NOTHING`;
}

/** Whether `eventId` is one of the account's transactions (a cursor of another account's is not). */
export async function ownsTransaction(db: RawSqlClient, accountId: string, eventId: string): Promise<boolean> {
  const rows = await db.$queryRaw<{ n: number }[]>`SELECT 1 AS n FROM wallet_transaction WHERE event_id = ${eventId} AND account_id = ${accountId}`;
  return rows.length > 0;
}

/** A page of the account's transactions, newest first, after the transaction `after` (keyset on the sequence). */
export async function listTransactions(db: RawSqlClient, accountId: string, after: string | undefined, limit: number): Promise<TransactionRow[]> {
  const rows = await db.$queryRaw<TransactionRecord[]>`
    SELECT t.event_id, t.account_id, t.type, t.object_id, t.reference, t.amount_micros, t.charged_micros, t.reserved_micros,
      t.balance_before_micros, t.balance_after_micros, t.created_at
    FROM wallet_transaction t
    WHERE t.account_id = ${accountId}
      AND (${after ?? null}::text IS NULL
        OR t.seq < (SELECT c.seq FROM wallet_transaction c WHERE c.event_id = ${after ?? null} AND c.account_id = ${accountId}))
    ORDER BY t.seq DESC
    LIMIT ${limit}`;
  return rows.map(toTransactionRow);
}

/**
 * Transactions in event-id order, without the sequence (which a replay numbers afresh): all of
 * them, a keyset page after an event id, or those with these event ids.
 */
export async function snapshotTransactions(db: RawSqlClient, selection: RowSelection = {}): Promise<TransactionRow[]> {
  const rows = await db.$queryRaw<TransactionRecord[]>`
    SELECT event_id, account_id, type, object_id, reference, amount_micros, charged_micros, reserved_micros,
      balance_before_micros, balance_after_micros, created_at
    FROM wallet_transaction
    WHERE (${selection.after ?? null}::text IS NULL OR event_id > ${selection.after ?? null}::text)
      AND (${selection.keys ?? null}::text[] IS NULL OR event_id = ANY(${selection.keys ?? null}::text[]))
    ORDER BY event_id LIMIT ${selection.limit ?? null}::int`;
  return rows.map(toTransactionRow);
}

export type UsageGroupBy = 'model' | 'day';

export interface UsageBucket {
  /** The model, or the UTC day (YYYY-MM-DD). */
  group: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
}

/**
 * The account's completed objects (SLA items and real-time requests alike) that finished in
 * [start, end), grouped by model or by UTC day: how many, their tokens and what they were charged.
 */
export async function usageBuckets(db: RawSqlClient, accountId: string, start: Date, end: Date, groupBy: UsageGroupBy): Promise<UsageBucket[]> {
  const rows = await db.$queryRaw<{ grp: string; requests: bigint | number; input_tokens: bigint | number | null; output_tokens: bigint | number | null; cost: bigint | number | null }[]>`
    SELECT CASE WHEN ${groupBy} = 'day' THEN to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') ELSE coalesce(model, '') END AS grp,
      count(*) AS requests, sum(coalesce(input_tokens, 0)) AS input_tokens, sum(coalesce(output_tokens, 0)) AS output_tokens,
      sum(coalesce(charged_micros, 0)) AS cost
    FROM object_view
    WHERE account_id = ${accountId} AND status = 'completed' AND finished_at >= ${start} AND finished_at < ${end}
    GROUP BY 1 ORDER BY 1`;
  return rows.map((r) => ({
    group: r.grp,
    requests: Number(r.requests),
    inputTokens: Number(r.input_tokens ?? 0),
    outputTokens: Number(r.output_tokens ?? 0),
    costMicros: Number(r.cost ?? 0),
  }));
}
