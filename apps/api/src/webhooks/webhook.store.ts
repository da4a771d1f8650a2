import type { RawSqlClient } from '@sluice/persistence';
import type { WebhookEvent } from './webhook-event';
import { newWebhookSecret } from './webhook-signature';

export interface WebhookTarget {
  taskId: string;
  accountId: string;
  url: string;
  cancelled: boolean;
  openaiBatch: boolean;
}

export async function recordWebhookTask(tx: RawSqlClient, taskId: string, accountId: string, url: string, openaiBatch: boolean): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO webhook_task (task_id, account_id, url, openai_batch) VALUES (${taskId}, ${accountId}, ${url}, ${openaiBatch})
    ON CONFLICT (task_id) DO NOTHING`;
}

export async function markWebhookTaskCancelled(tx: RawSqlClient, taskId: string): Promise<void> {
  await tx.$executeRaw`UPDATE webhook_task SET cancelled = true WHERE task_id = ${taskId}`;
}

export async function findWebhookTask(tx: RawSqlClient, taskId: string): Promise<WebhookTarget | null> {
  const rows = await tx.$queryRaw<{ task_id: string; account_id: string; url: string; cancelled: boolean; openai_batch: boolean }[]>`
    SELECT task_id, account_id, url, cancelled, openai_batch FROM webhook_task WHERE task_id = ${taskId}`;
  const row = rows[0];
  return row ? { taskId: row.task_id, accountId: row.account_id, url: row.url, cancelled: row.cancelled, openaiBatch: row.openai_batch } : null;
}

/** A pending delivery, due at once; the event id is unique, so the same event twice is one row. */
export async function enqueueDelivery(tx: RawSqlClient, target: WebhookTarget, event: WebhookEvent, now: Date): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO webhook_delivery (event_id, task_id, account_id, url, type, body, status, next_attempt_at, created_at)
    VALUES (${event.eventId}, ${target.taskId}, ${target.accountId}, ${target.url}, ${event.type}, ${event.body}, 'pending', ${now}, ${now})
    ON CONFLICT (event_id) DO NOTHING`;
}

export interface DueDelivery {
  eventId: string;
  taskId: string;
  accountId: string;
  url: string;
  body: string;
  attempts: number;
  createdAt: Date;
}

/**
 * Pending deliveries due by `now`, each the oldest pending one of its task (in order per task),
 * none of the `busy` tasks (those with an attempt in flight).
 */
export async function dueDeliveries(db: RawSqlClient, now: Date, limit: number, busy: readonly string[] = []): Promise<DueDelivery[]> {
  const rows = await db.$queryRaw<{ event_id: string; task_id: string; account_id: string; url: string; body: string; attempts: number; created_at: Date }[]>`
    SELECT d.event_id, d.task_id, d.account_id, d.url, d.body, d.attempts, d.created_at FROM webhook_delivery d
    WHERE d.status = 'pending' AND d.next_attempt_at <= ${now} AND NOT d.task_id = ANY(${[...busy]}::text[])
      AND NOT EXISTS (SELECT 1 FROM webhook_delivery e WHERE e.task_id = d.task_id AND e.status = 'pending' AND e.seq < d.seq)
    ORDER BY d.seq LIMIT ${limit}`;
  return rows.map((r) => ({ eventId: r.event_id, taskId: r.task_id, accountId: r.account_id, url: r.url, body: r.body, attempts: Number(r.attempts), createdAt: new Date(r.created_at) }));
}

/** When the next pending delivery of a task not `busy` is due, if any. */
export async function nextDueAt(db: RawSqlClient, busy: readonly string[] = []): Promise<Date | null> {
  const rows = await db.$queryRaw<{ at: Date | null }[]>`
    SELECT min(next_attempt_at) AS at FROM webhook_delivery WHERE status = 'pending' AND NOT task_id = ANY(${[...busy]}::text[])`;
  return rows[0]?.at ? new Date(rows[0].at) : null;
}

export interface AttemptOutcome {
  at: Date;
  statusCode: number | null;
  error: string | null;
  /** delivered, pending (retry at `nextAttemptAt`) or failed (gave up). */
  status: 'delivered' | 'pending' | 'failed';
  nextAttemptAt: Date | null;
}

/** The attempt's log line and the delivery's new state, in one statement. */
export async function recordAttempt(db: RawSqlClient, eventId: string, outcome: AttemptOutcome): Promise<void> {
  const { at, statusCode, error, status, nextAttemptAt } = outcome;
  await db.$executeRaw`
    WITH attempt AS (
      INSERT INTO webhook_attempt (event_id, attempted_at, status_code, error) VALUES (${eventId}, ${at}, ${statusCode}, ${error})
    )
    UPDATE webhook_delivery SET attempts = attempts + 1, status = ${status},
      next_attempt_at = COALESCE(${nextAttemptAt}::timestamptz, next_attempt_at),
      delivered_at = CASE WHEN ${status} = 'delivered' THEN ${at}::timestamptz ELSE delivered_at END
    WHERE event_id = ${eventId}`;
}

/** The account's signing secret, made on first use (shown by POST /v1/webhook-secret, which rotates it). */
export async function secretOf(db: RawSqlClient, accountId: string, now: Date): Promise<string> {
  await db.$executeRaw`INSERT INTO webhook_secret (account_id, secret, created_at) VALUES (${accountId}, ${newWebhookSecret()}, ${now}) ON CONFLICT (account_id) DO NOTHING`;
  const rows = await db.$queryRaw<{ secret: string }[]>`SELECT secret FROM webhook_secret WHERE account_id = ${accountId}`;
  return rows[0].secret;
}

export async function rotateSecret(db: RawSqlClient, accountId: string, now: Date): Promise<string> {
  const secret = newWebhookSecret();
  await db.$executeRaw`
    INSERT INTO webhook_secret (account_id, secret, created_at) VALUES (${accountId}, ${secret}, ${now})
    ON CONFLICT (account_id) DO UPDATE SET secret = EXCLUDED.secret, created_at = EXCLUDED.created_at`;
  return secret;
}

export interface DeliveryLogRow {
  eventId: string;
  type: string;
  url: string;
  status: string;
  attempts: number;
  createdAt: Date;
  deliveredAt: Date | null;
  nextAttemptAt: Date;
  log: { at: Date; statusCode: number | null; error: string | null }[];
}

/** A task's deliveries in order, each with its attempts. */
export async function deliveryLog(db: RawSqlClient, taskId: string): Promise<DeliveryLogRow[]> {
  const deliveries = await db.$queryRaw<{ event_id: string; type: string; url: string; status: string; attempts: number; created_at: Date; delivered_at: Date | null; next_attempt_at: Date }[]>`
    SELECT event_id, type, url, status, attempts, created_at, delivered_at, next_attempt_at FROM webhook_delivery WHERE task_id = ${taskId} ORDER BY seq`;
  const attempts = await db.$queryRaw<{ event_id: string; attempted_at: Date; status_code: number | null; error: string | null }[]>`
    SELECT a.event_id, a.attempted_at, a.status_code, a.error FROM webhook_attempt a
    JOIN webhook_delivery d ON d.event_id = a.event_id WHERE d.task_id = ${taskId} ORDER BY a.seq`;
  return deliveries.map((d) => ({
    eventId: d.event_id,
    type: d.type,
    url: d.url,
    status: d.status,
    attempts: Number(d.attempts),
    createdAt: new Date(d.created_at),
    deliveredAt: d.delivered_at ? new Date(d.delivered_at) : null,
    nextAttemptAt: new Date(d.next_attempt_at),
    log: attempts.filter((a) => a.event_id === d.event_id).map((a) => ({ at: new Date(a.attempted_at), statusCode: a.status_code, error: a.error })),
  }));
}

/** The account's default callback URL; null clears it. */
export async function setDefaultEndpoint(db: RawSqlClient, accountId: string, url: string | null, now: Date): Promise<void> {
  if (url === null) {
    await db.$executeRaw`DELETE FROM webhook_endpoint WHERE account_id = ${accountId}`;
    return;
  }
  await db.$executeRaw`
    INSERT INTO webhook_endpoint (account_id, url, updated_at) VALUES (${accountId}, ${url}, ${now})
    ON CONFLICT (account_id) DO UPDATE SET url = EXCLUDED.url, updated_at = EXCLUDED.updated_at`;
}

/** Where a task submitted without a `callback_url` sends its webhooks, if the account set a default. */
export async function defaultEndpointOf(db: RawSqlClient, accountId: string): Promise<string | undefined> {
  const rows = await db.$queryRaw<{ url: string }[]>`SELECT url FROM webhook_endpoint WHERE account_id = ${accountId}`;
  return rows[0]?.url;
}
