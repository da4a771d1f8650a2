import type { RawSqlClient } from '@sluice/persistence';
import type { Pricing, Routing, Work } from '@sluice/events';
import type { ScheduledObject, ScheduledStatus } from './scheduled-object.decider';

interface Row {
  object_id: string;
  account_id: string;
  status: string;
  funds_reserved: boolean;
  work: Work | null;
  input_tokens: number;
  sla_minutes: number | null;
  deadline_at: Date | null;
  pricing: Pricing | null;
  routing: Routing | null;
  mode: string | null;
  provider_id: string | null;
  due_at: Date | null;
  escalate_at: Date | null;
  attempt: number;
  avoid_providers: string[];
  escalated: boolean;
  correlation_id: string;
  traceparent: string | null;
  last_event_id: string;
}

const date = (v: Date | string | null) => (v === null ? null : new Date(v));

function fromRow(r: Row): ScheduledObject {
  return {
    objectId: r.object_id,
    accountId: r.account_id,
    status: r.status as ScheduledStatus,
    fundsReserved: r.funds_reserved,
    work: r.work,
    inputTokens: r.input_tokens,
    slaMinutes: r.sla_minutes,
    deadlineAt: date(r.deadline_at),
    pricing: r.pricing,
    routing: r.routing,
    mode: r.mode as ScheduledObject['mode'],
    providerId: r.provider_id,
    dueAt: date(r.due_at),
    escalateAt: date(r.escalate_at),
    attempt: r.attempt,
    avoidProviders: r.avoid_providers,
    escalated: r.escalated,
    correlationId: r.correlation_id,
    traceparent: r.traceparent,
    lastEventId: r.last_event_id,
  };
}

const toRecord = (o: ScheduledObject) => ({
  object_id: o.objectId,
  account_id: o.accountId,
  status: o.status,
  funds_reserved: o.fundsReserved,
  work: o.work,
  input_tokens: o.inputTokens,
  sla_minutes: o.slaMinutes,
  deadline_at: o.deadlineAt?.toISOString() ?? null,
  pricing: o.pricing,
  routing: o.routing,
  mode: o.mode,
  provider_id: o.providerId,
  due_at: o.dueAt?.toISOString() ?? null,
  escalate_at: o.escalateAt?.toISOString() ?? null,
  attempt: o.attempt,
  avoid_providers: o.avoidProviders,
  escalated: o.escalated,
  correlation_id: o.correlationId,
  traceparent: o.traceparent,
  last_event_id: o.lastEventId,
});

/** The objects with these ids, locked for the transaction. */
export async function loadObjects(tx: RawSqlClient, objectIds: readonly string[]): Promise<Map<string, ScheduledObject>> {
  if (objectIds.length === 0) return new Map();
  const rows = await tx.$queryRaw<Row[]>`
    SELECT * FROM scheduled_object WHERE object_id = ANY(${[...objectIds]}::text[]) FOR UPDATE`;
  return new Map(rows.map((r) => [r.object_id, fromRow(r)]));
}

/**
 * What may need dispatching at `now`: due objects, at most `escalations` objects due for an
 * escalation (earliest first), and every waiting member of a provider batch group that is due or
 * full (so a flush takes the whole group). Rows another instance holds are skipped. Each branch
 * is an index range (status, mode, due_at; status, escalated, escalate_at): live objects waiting
 * for a later window are never read, however many there are.
 */
export async function loadDue(tx: RawSqlClient, now: Date, maxBatchItems: number, limit: number, escalations: number): Promise<ScheduledObject[]> {
  const at = now.toISOString();
  const rows = await tx.$queryRaw<Row[]>`
    WITH batch_groups AS (
      SELECT provider_id, work->>'model' AS model
      FROM scheduled_object
      WHERE status = 'scheduled' AND mode = 'provider_batch'
      GROUP BY provider_id, work->>'model'
      HAVING min(due_at) <= ${at}::timestamptz OR count(*) >= ${maxBatchItems}
    )
    SELECT s.* FROM scheduled_object s
    WHERE (s.status = 'scheduled' AND s.mode = 'live' AND s.due_at <= ${at}::timestamptz)
       OR (s.status = 'scheduled' AND s.mode = 'provider_batch'
           AND (s.provider_id, s.work->>'model') IN (SELECT provider_id, model FROM batch_groups))
    ORDER BY s.due_at NULLS FIRST
    LIMIT ${limit}
    FOR UPDATE OF s SKIP LOCKED`;
  const due = new Map(rows.map((r) => [r.object_id, r]));
  // Per status, so each is one index range read in escalate_at order, however many are past it.
  for (const status of escalations > 0 ? ['scheduled', 'dispatched'] : []) {
    const escalating = await tx.$queryRaw<Row[]>`
      SELECT * FROM scheduled_object
      WHERE status = ${status} AND escalated = false AND escalate_at <= ${at}::timestamptz
      ORDER BY escalate_at
      LIMIT ${escalations}
      FOR UPDATE SKIP LOCKED`;
    for (const r of escalating) due.set(r.object_id, r);
  }
  return [...due.values()].map(fromRow);
}

/** Inserts or replaces the objects in one statement. */
export async function saveObjects(tx: RawSqlClient, objects: readonly ScheduledObject[]): Promise<void> {
  if (objects.length === 0) return;
  const json = JSON.stringify(objects.map(toRecord));
  await tx.$executeRaw`
    INSERT INTO scheduled_object (object_id, account_id, status, funds_reserved, work, input_tokens, sla_minutes, deadline_at,
      pricing, routing, mode, provider_id, due_at, escalate_at, attempt, avoid_providers, escalated, correlation_id, traceparent, last_event_id)
    SELECT object_id, account_id, status, funds_reserved, work, input_tokens, sla_minutes, deadline_at,
      pricing, routing, mode, provider_id, due_at, escalate_at, attempt, coalesce(avoid_providers, '[]'::jsonb), escalated, correlation_id, traceparent, last_event_id
    FROM jsonb_to_recordset(${json}::jsonb) AS r(object_id text, account_id text, status text, funds_reserved boolean, work jsonb,
      input_tokens int, sla_minutes int, deadline_at timestamptz, pricing jsonb, routing jsonb, mode text, provider_id text,
      due_at timestamptz, escalate_at timestamptz, attempt int, avoid_providers jsonb, escalated boolean, correlation_id text,
      traceparent text, last_event_id text)
    ON CONFLICT (object_id) DO UPDATE SET
      account_id = EXCLUDED.account_id, status = EXCLUDED.status, funds_reserved = EXCLUDED.funds_reserved, work = EXCLUDED.work,
      input_tokens = EXCLUDED.input_tokens, sla_minutes = EXCLUDED.sla_minutes, deadline_at = EXCLUDED.deadline_at,
      pricing = EXCLUDED.pricing, routing = EXCLUDED.routing, mode = EXCLUDED.mode, provider_id = EXCLUDED.provider_id,
      due_at = EXCLUDED.due_at, escalate_at = EXCLUDED.escalate_at, attempt = EXCLUDED.attempt,
      avoid_providers = EXCLUDED.avoid_providers, escalated = EXCLUDED.escalated, correlation_id = EXCLUDED.correlation_id,
      traceparent = EXCLUDED.traceparent, last_event_id = EXCLUDED.last_event_id`;
}

/**
 * The earliest moment something may become due (a dispatch, or an escalation unless there is no
 * room for one), or null. Each minimum is the first entry of an index range, not a scan of every
 * waiting object.
 */
export async function nextWakeAt(tx: RawSqlClient, escalations = true): Promise<Date | null> {
  const [row] = await tx.$queryRaw<{ at: Date | null }[]>`
    SELECT least(
      (SELECT min(due_at) FROM scheduled_object WHERE status = 'scheduled' AND mode = 'live'),
      (SELECT min(due_at) FROM scheduled_object WHERE status = 'scheduled' AND mode = 'provider_batch'),
      (SELECT min(escalate_at) FROM scheduled_object WHERE ${escalations}::boolean AND status = 'scheduled' AND escalated = false),
      (SELECT min(escalate_at) FROM scheduled_object WHERE ${escalations}::boolean AND status = 'dispatched' AND escalated = false)) AS at`;
  return row?.at ? new Date(row.at) : null;
}

/**
 * Escalated attempts the scheduler has not seen end yet (dispatched live to the fastest provider
 * and neither completed, failed nor abandoned on its log). An index range, bounded by the cap the
 * dispatch loop keeps it under.
 */
export async function countEscalationsInFlight(tx: RawSqlClient): Promise<number> {
  const [row] = await tx.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM scheduled_object WHERE status = 'dispatched' AND escalated = true`;
  return Number(row?.n ?? 0);
}

/** Remembers cancelled tasks (the first cancellation stands). */
export async function recordCancelledTasks(tx: RawSqlClient, tasks: readonly { taskId: string; accountId: string; cancelledAt: string }[]): Promise<void> {
  if (tasks.length === 0) return;
  await tx.$executeRaw`
    INSERT INTO cancelled_task (task_id, account_id, cancelled_at)
    SELECT * FROM unnest(${tasks.map((t) => t.taskId)}::text[], ${tasks.map((t) => t.accountId)}::text[], ${tasks.map((t) => t.cancelledAt)}::text[]::timestamptz[])
    ON CONFLICT (task_id) DO NOTHING`;
}

/** Which of these tasks were cancelled. */
export async function loadCancelledTasks(tx: RawSqlClient, taskIds: readonly string[]): Promise<Set<string>> {
  if (taskIds.length === 0) return new Set();
  const rows = await tx.$queryRaw<{ task_id: string }[]>`SELECT task_id FROM cancelled_task WHERE task_id = ANY(${[...taskIds]}::text[])`;
  return new Set(rows.map((r) => r.task_id));
}

/**
 * Objects a cancellation ends per transaction: the rest of a large task's are ended by the
 * dispatch loop, the same number per pass (one transaction over a million rows would hold the
 * database and the heap for minutes).
 */
export const CANCEL_ROWS_PER_TRANSACTION = 5_000;

/** Statuses of an object that has not been dispatched (nor ended): what a cancellation ends. */
const UNDISPATCHED = ['awaiting_funds', 'awaiting_submission', 'scheduled'];

/** Up to `limit` of the tasks' objects that have not been dispatched (nor ended), locked for the transaction. */
export async function loadUndispatchedOfTasks(tx: RawSqlClient, taskIds: readonly string[], limit: number): Promise<ScheduledObject[]> {
  if (taskIds.length === 0) return [];
  const rows = await tx.$queryRaw<Row[]>`
    SELECT * FROM scheduled_object
    WHERE correlation_id = ANY(${[...taskIds]}::text[]) AND status = ANY(${UNDISPATCHED}::text[])
    LIMIT ${limit}
    FOR UPDATE`;
  return rows.map(fromRow);
}

/** These cancelled tasks may have objects left to end: the dispatch loop sweeps them. */
export async function markSweeping(tx: RawSqlClient, taskIds: readonly string[]): Promise<void> {
  if (taskIds.length === 0) return;
  await tx.$executeRaw`UPDATE cancelled_task SET sweeping = true WHERE task_id = ANY(${[...taskIds]}::text[])`;
}

/**
 * Up to `limit` undispatched objects of the cancelled tasks still being swept (rows another
 * instance holds are skipped); when fewer are left, those tasks are swept and no pass reads them again.
 */
export async function loadSweep(tx: RawSqlClient, limit: number): Promise<ScheduledObject[]> {
  const tasks = (await tx.$queryRaw<{ task_id: string }[]>`SELECT task_id FROM cancelled_task WHERE sweeping`).map((r) => r.task_id);
  if (tasks.length === 0) return [];
  const rows = await tx.$queryRaw<Row[]>`
    SELECT * FROM scheduled_object
    WHERE correlation_id = ANY(${tasks}::text[]) AND status = ANY(${UNDISPATCHED}::text[])
    LIMIT ${limit}
    FOR UPDATE SKIP LOCKED`;
  if (rows.length < limit) await tx.$executeRaw`UPDATE cancelled_task SET sweeping = false WHERE task_id = ANY(${tasks}::text[])`;
  return rows.map(fromRow);
}
