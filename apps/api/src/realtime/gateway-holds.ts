import { BatchCoalescer } from '@sluice/eventlog';
import type { RawSqlClient, TransactionalClient } from '@sluice/persistence';

/**
 * A hold whose request never recorded an outcome (its process died mid-call) is dropped after
 * this long (real time). Longer than any request can run: the gateway gives up on a request
 * after REALTIME_WAIT_MS, and a provider call that started before then ends within its timeout.
 */
export const GATEWAY_HOLD_TTL_SECONDS = 300;

export type Admission = { kind: 'held' } | { kind: 'insufficient'; spendableMicros: number } | { kind: 'key_taken' };

export interface AdmissionRequest {
  accountId: string;
  objectId: string;
  amountMicros: number;
  /** With an Idempotency-Key: the claim is taken in the same statement, and only with the hold. */
  idempotency?: { key: string; requestHash: string; now: Date; expiresAt: Date };
}

/**
 * The gateway's admission, in one statement that every API replica runs against the same
 * database: holds `amountMicros` when the projected balance less the open holds covers it.
 * The UPDATE re-reads the balance row once it holds its lock, so two replicas serving one
 * account can never hold more than it has. With a key, the claim (an insert that loses to a
 * live row) comes first; no claim, no hold.
 */
export async function admit(sql: RawSqlClient, request: AdmissionRequest): Promise<Admission> {
  const { accountId, objectId, amountMicros, idempotency } = request;
  const amount = String(amountMicros);
  const rows = idempotency
    ? await sql.$queryRaw<{ claimed: number; held: number }[]>`
        WITH claim AS (
          INSERT INTO idempotency_key (account_id, key, request_hash, object_id, response, created_at, expires_at)
          VALUES (${accountId}, ${idempotency.key}, ${idempotency.requestHash}, ${objectId}, NULL,
            ${idempotency.now.toISOString()}::timestamptz, ${idempotency.expiresAt.toISOString()}::timestamptz)
          ON CONFLICT (account_id, key) DO UPDATE SET request_hash = excluded.request_hash, object_id = excluded.object_id,
            response = NULL, created_at = excluded.created_at, expires_at = excluded.expires_at
          WHERE idempotency_key.expires_at <= excluded.created_at
          RETURNING 1),
        bal AS (
          UPDATE balance_view SET gateway_held_micros = gateway_held_micros + ${amount}::bigint
          WHERE account_id = ${accountId} AND available_micros - gateway_held_micros >= ${amount}::bigint AND EXISTS (SELECT 1 FROM claim)
          RETURNING account_id),
        hold AS (
          INSERT INTO gateway_hold (object_id, account_id, amount_micros, expires_at)
          SELECT ${objectId}, account_id, ${amount}::bigint, now() + make_interval(secs => ${GATEWAY_HOLD_TTL_SECONDS}) FROM bal
          RETURNING 1)
        SELECT (SELECT count(*) FROM claim)::int AS claimed, (SELECT count(*) FROM hold)::int AS held`
    : await sql.$queryRaw<{ claimed: number; held: number }[]>`
        WITH bal AS (
          UPDATE balance_view SET gateway_held_micros = gateway_held_micros + ${amount}::bigint
          WHERE account_id = ${accountId} AND available_micros - gateway_held_micros >= ${amount}::bigint
          RETURNING account_id),
        hold AS (
          INSERT INTO gateway_hold (object_id, account_id, amount_micros, expires_at)
          SELECT ${objectId}, account_id, ${amount}::bigint, now() + make_interval(secs => ${GATEWAY_HOLD_TTL_SECONDS}) FROM bal
          RETURNING 1)
        SELECT 1::int AS claimed, (SELECT count(*) FROM hold)::int AS held`;
  const { claimed, held } = rows[0];
  if (Number(claimed) === 0) return { kind: 'key_taken' };
  if (Number(held) === 1) return { kind: 'held' };
  if (idempotency) {
    await sql.$executeRaw`DELETE FROM idempotency_key WHERE account_id = ${accountId} AND key = ${idempotency.key} AND object_id = ${objectId}`;
  }
  return { kind: 'insufficient', spendableMicros: await spendableMicros(sql, accountId) };
}

interface PendingAdmission {
  request: AdmissionRequest;
  admission?: Admission;
}

/** Admissions waiting together share one transaction at most this big. */
const MAX_JOINED_ADMISSIONS = 64;

/**
 * Runs admissions. On an embedded database (one connection, one transaction at a time, each
 * commit a WAL write) the admissions that arrive while one commits share the next transaction
 * (group commit); none of them throws on a refusal, so one never undoes another. On
 * PostgreSQL each runs as its own statement, side by side.
 */
export class Admissions {
  private readonly joined: BatchCoalescer<PendingAdmission> | null;

  constructor(
    private readonly sql: TransactionalClient,
    join: boolean,
  ) {
    this.joined = join
      ? new BatchCoalescer(
          async (pending) => {
            if (pending.length === 1) pending[0].admission = await admit(this.sql, pending[0].request);
            else await this.sql.$transaction(async (tx) => {
              for (const p of pending) p.admission = await admit(tx, p.request);
            });
          },
          { maxItems: MAX_JOINED_ADMISSIONS },
        )
      : null;
  }

  async admit(request: AdmissionRequest): Promise<Admission> {
    if (!this.joined) return admit(this.sql, request);
    const pending: PendingAdmission = { request };
    await this.joined.submit([pending]);
    return pending.admission as Admission;
  }
}

/** What the account may still spend: the projected balance less the open gateway holds. */
export async function spendableMicros(sql: RawSqlClient, accountId: string): Promise<number> {
  const rows = await sql.$queryRaw<{ spendable: bigint | number }[]>`
    SELECT available_micros - gateway_held_micros AS spendable FROM balance_view WHERE account_id = ${accountId}`;
  return Number(rows[0]?.spendable ?? 0);
}

/**
 * In the outcome's transaction, for a served request: the hold becomes the actual charge and
 * no longer expires (the projection of its Charged drops it). Returns what the account may
 * still spend with this request counted, or null when the hold had expired meanwhile.
 */
export async function settleHold(tx: RawSqlClient, objectId: string, heldMicros: number, chargeMicros: number): Promise<number | null> {
  const rows = await tx.$queryRaw<{ spendable: bigint | number }[]>`
    WITH h AS (
      UPDATE gateway_hold SET amount_micros = ${String(chargeMicros)}::bigint, expires_at = NULL
      WHERE object_id = ${objectId} RETURNING account_id)
    UPDATE balance_view b SET gateway_held_micros = b.gateway_held_micros - ${String(heldMicros - chargeMicros)}::bigint
    FROM h WHERE b.account_id = h.account_id
    RETURNING b.available_micros - b.gateway_held_micros AS spendable`;
  return rows[0] ? Number(rows[0].spendable) : null;
}

/**
 * Billing reserved these served objects (FundsReserved with `gateway`), and the balance now
 * being projected already has each reservation taken off: the object's hold gives it back
 * (hold = actual charge − reservation, below zero while the reservation exceeds the charge),
 * so the request is counted once, as its actual charge, until its Charged drops the hold. An
 * object without a hold (it failed, or its hold expired) changes nothing.
 */
export async function countReservations(tx: RawSqlClient, reservations: readonly { objectId: string; amountMicros: number }[]): Promise<void> {
  if (reservations.length === 0) return;
  await tx.$executeRaw`
    WITH adj AS (
      SELECT object_id, sum(amount)::bigint AS amount
      FROM unnest(${reservations.map((r) => r.objectId)}::text[], ${reservations.map((r) => String(r.amountMicros))}::bigint[]) AS a(object_id, amount)
      GROUP BY object_id),
    h AS (
      UPDATE gateway_hold g SET amount_micros = g.amount_micros - adj.amount FROM adj
      WHERE g.object_id = adj.object_id RETURNING g.account_id, adj.amount),
    sums AS (SELECT account_id, sum(amount)::bigint AS amount FROM h GROUP BY account_id)
    UPDATE balance_view b SET gateway_held_micros = b.gateway_held_micros - sums.amount FROM sums WHERE b.account_id = sums.account_id`;
}

/** Drops the holds of these objects (a failed request, a projected charge or release). */
export async function dropHolds(tx: RawSqlClient, objectIds: readonly string[]): Promise<void> {
  if (objectIds.length === 0) return;
  await tx.$executeRaw`
    WITH gone AS (DELETE FROM gateway_hold WHERE object_id = ANY(${[...objectIds]}::text[]) RETURNING account_id, amount_micros),
    sums AS (SELECT account_id, sum(amount_micros)::bigint AS amount FROM gone GROUP BY account_id)
    UPDATE balance_view b SET gateway_held_micros = b.gateway_held_micros - sums.amount FROM sums WHERE b.account_id = sums.account_id`;
}

/**
 * Drops the holds whose request never recorded an outcome before their expiry, and frees the
 * Idempotency-Keys those requests claimed (a retry then runs again instead of waiting for an
 * answer that will never come); returns how many holds.
 */
export async function expireHolds(sql: RawSqlClient): Promise<number> {
  const rows = await sql.$queryRaw<{ n: number }[]>`
    WITH gone AS (DELETE FROM gateway_hold WHERE expires_at < now() RETURNING object_id, account_id, amount_micros),
    freed AS (DELETE FROM idempotency_key k USING gone WHERE k.object_id = gone.object_id AND k.response IS NULL RETURNING 1),
    sums AS (SELECT account_id, sum(amount_micros)::bigint AS amount FROM gone GROUP BY account_id),
    upd AS (UPDATE balance_view b SET gateway_held_micros = b.gateway_held_micros - sums.amount FROM sums WHERE b.account_id = sums.account_id RETURNING 1)
    SELECT (SELECT count(*) FROM gone)::int AS n`;
  return Number(rows[0]?.n ?? 0);
}
