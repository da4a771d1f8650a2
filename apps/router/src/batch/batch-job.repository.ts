import type { RawSqlClient } from '@sluice/persistence';
import type { BatchDispatchItem, BatchJob } from './batch-outcome';

export interface NewBatchJob extends BatchJob {
  readonly nextPollAt: Date;
  /** Set when the job ends at submission (the provider refused it, or nothing was left to run). */
  readonly completedAt: Date | null;
  readonly status: string;
}

interface BatchJobRow {
  batch_id: string;
  provider_id: string;
  provider_batch_id: string;
  model: string;
  items: BatchDispatchItem[];
  correlation_id: string;
  causation_id: string;
  traceparent: string | null;
  submitted_at: Date;
}

export async function knownBatchIds(db: RawSqlClient, batchIds: readonly string[]): Promise<Set<string>> {
  const rows = await db.$queryRaw<{ batch_id: string }[]>`SELECT batch_id FROM provider_batch_job WHERE batch_id = ANY(${[...batchIds]}::text[])`;
  return new Set(rows.map((r) => r.batch_id));
}

/** Inserts the jobs; returns the batch ids actually inserted (a concurrent redelivery may have won). */
export async function insertBatchJobs(tx: RawSqlClient, jobs: readonly NewBatchJob[]): Promise<Set<string>> {
  const inserted = new Set<string>();
  for (const job of jobs) {
    const rows = await tx.$queryRaw<{ batch_id: string }[]>`
      INSERT INTO provider_batch_job
        (batch_id, provider_id, provider_batch_id, model, items, correlation_id, causation_id, traceparent, submitted_at, next_poll_at, completed_at, status)
      VALUES (${job.batchId}, ${job.providerId}, ${job.providerBatchId}, ${job.model}, ${JSON.stringify(job.items)}::jsonb,
        ${job.context.correlationId}, ${job.context.causationId ?? job.batchId}, ${job.context.traceparent ?? null},
        ${job.submittedAt}, ${job.nextPollAt}, ${job.completedAt}, ${job.status})
      ON CONFLICT (batch_id) DO NOTHING
      RETURNING batch_id`;
    rows.forEach((r) => inserted.add(r.batch_id));
  }
  return inserted;
}

const toJob = (row: BatchJobRow): BatchJob => ({
  batchId: row.batch_id,
  providerId: row.provider_id,
  providerBatchId: row.provider_batch_id,
  model: row.model,
  items: row.items,
  context: { correlationId: row.correlation_id, causationId: row.causation_id, ...(row.traceparent ? { traceparent: row.traceparent } : {}) },
  submittedAt: new Date(row.submitted_at),
});

export async function dueBatchJobs(db: RawSqlClient, now: Date, limit: number): Promise<BatchJob[]> {
  const rows = await db.$queryRaw<BatchJobRow[]>`
    SELECT batch_id, provider_id, provider_batch_id, model, items, correlation_id, causation_id, traceparent, submitted_at
    FROM provider_batch_job WHERE completed_at IS NULL AND next_poll_at <= ${now}
    ORDER BY next_poll_at LIMIT ${limit}`;
  return rows.map(toJob);
}

/** When the next open job is due, or null when none is open. */
export async function nextPollAt(db: RawSqlClient): Promise<Date | null> {
  const rows = await db.$queryRaw<{ next: Date | null }[]>`SELECT min(next_poll_at) AS next FROM provider_batch_job WHERE completed_at IS NULL`;
  return rows[0]?.next ? new Date(rows[0].next) : null;
}

export async function reschedulePolls(db: RawSqlClient, batchIds: readonly string[], at: readonly Date[]): Promise<void> {
  if (batchIds.length === 0) return;
  await db.$executeRaw`
    UPDATE provider_batch_job j SET next_poll_at = u.at
    FROM unnest(${[...batchIds]}::text[], ${at.map((d) => d.toISOString())}::timestamptz[]) AS u(batch_id, at)
    WHERE j.batch_id = u.batch_id`;
}

/** Marks the job done unless it already is; true when this call did (its events may be emitted). */
export async function completeBatchJob(tx: RawSqlClient, batchId: string, status: string, at: Date): Promise<boolean> {
  const updated = await tx.$executeRaw`
    UPDATE provider_batch_job SET completed_at = ${at}, status = ${status} WHERE batch_id = ${batchId} AND completed_at IS NULL`;
  return updated > 0;
}
