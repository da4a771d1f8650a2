import type { RawSqlClient } from '@sluice/persistence';
import type { SluiceEvent } from '@sluice/events';
import { toFileRow, type FileRecord } from '../files/file-view.store';
import { batchChangesOf, expansionsOf, quoteDeltasOf, type BatchMark, type Expansion, type ObjectChange, type QuoteDelta } from './openai-batch.projection';
import type { BatchProgress, BatchRow, TaskQuote } from './openai-batch.view';

interface BatchRecord {
  batch_id: string;
  account_id: string;
  input_file_id: string;
  endpoint: string;
  completion_window: string;
  sla_minutes: number;
  metadata: Record<string, string> | null;
  created_at: Date;
  cancelling_at: Date | null;
  finalizing_at: Date | null;
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

const toBatchRow = (r: BatchRecord): BatchRow => ({
  batchId: r.batch_id,
  accountId: r.account_id,
  inputFileId: r.input_file_id,
  endpoint: r.endpoint,
  completionWindow: r.completion_window,
  slaMinutes: Number(r.sla_minutes),
  metadata: r.metadata,
  createdAt: iso(r.created_at) as string,
  cancellingAt: iso(r.cancelling_at),
  finalizingAt: iso(r.finalizing_at),
});

/** Inserts batches not known yet (the submission's own write, then the projection's, yield the same row). */
export async function saveBatches(tx: RawSqlClient, rows: readonly BatchRow[]): Promise<void> {
  if (rows.length === 0) return;
  const col = <K extends keyof BatchRow>(k: K) => rows.map((r) => r[k]);
  await tx.$executeRaw`
    INSERT INTO openai_batch (batch_id, account_id, input_file_id, endpoint, completion_window, sla_minutes, metadata, created_at)
    SELECT * FROM unnest(${col('batchId')}::text[], ${col('accountId')}::text[], ${col('inputFileId')}::text[], ${col('endpoint')}::text[],
      ${col('completionWindow')}::text[], ${col('slaMinutes')}::int[], ${rows.map((r) => (r.metadata === null ? null : JSON.stringify(r.metadata)))}::text[]::jsonb[],
      ${col('createdAt')}::text[]::timestamptz[])
    ON CONFLICT (batch_id) DO NOTHING`;
}

async function mark(tx: RawSqlClient, column: 'cancelling_at' | 'finalizing_at', marks: readonly BatchMark[]): Promise<void> {
  if (marks.length === 0) return;
  const ids = marks.map((m) => m.batchId);
  const ats = marks.map((m) => m.at);
  // The column is one of two literals; each statement keeps the first mark it gets.
  if (column === 'cancelling_at') {
    await tx.$executeRaw`
      UPDATE openai_batch b SET cancelling_at = v.at FROM unnest(${ids}::text[], ${ats}::text[]::timestamptz[]) AS v(id, at)
      WHERE b.batch_id = v.id AND b.cancelling_at IS NULL`;
  } else {
    await tx.$executeRaw`
      UPDATE openai_batch b SET finalizing_at = v.at FROM unnest(${ids}::text[], ${ats}::text[]::timestamptz[]) AS v(id, at)
      WHERE b.batch_id = v.id AND b.finalizing_at IS NULL`;
  }
}

async function saveExpansions(tx: RawSqlClient, rows: readonly Expansion[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.$executeRaw`
    INSERT INTO file_expansion (task_id, submitted, rejected, expanded_at)
    SELECT * FROM unnest(${rows.map((r) => r.taskId)}::text[], ${rows.map((r) => r.submitted)}::int[], ${rows.map((r) => r.rejected)}::int[],
      ${rows.map((r) => r.expandedAt)}::text[]::timestamptz[])
    ON CONFLICT (task_id) DO NOTHING`;
}

async function addToQuotes(tx: RawSqlClient, deltas: readonly QuoteDelta[]): Promise<void> {
  if (deltas.length === 0) return;
  const col = <K extends keyof QuoteDelta>(k: K) => deltas.map((d) => d[k]);
  await tx.$executeRaw`
    INSERT INTO task_quote (task_id, quoted_items, base_micros, expected_micros, charged_micros, min_factor, max_factor)
    SELECT * FROM unnest(${col('taskId')}::text[], ${col('quotedItems')}::int[], ${col('baseMicros')}::int8[], ${col('expectedMicros')}::int8[],
      ${col('chargedMicros')}::int8[], ${col('minFactor')}::float8[], ${col('maxFactor')}::float8[])
    ON CONFLICT (task_id) DO UPDATE SET
      quoted_items = task_quote.quoted_items + excluded.quoted_items,
      base_micros = task_quote.base_micros + excluded.base_micros,
      expected_micros = task_quote.expected_micros + excluded.expected_micros,
      charged_micros = task_quote.charged_micros + excluded.charged_micros,
      min_factor = least(task_quote.min_factor, excluded.min_factor),
      max_factor = greatest(task_quote.max_factor, excluded.max_factor)`;
}

/**
 * The batches' projection, on the read models' transaction: the batches, their files'
 * expansions and every task's quote (a file's lines may be projected before their task).
 */
export async function projectBatches(tx: RawSqlClient, events: readonly SluiceEvent[], objectChanges: readonly ObjectChange[]): Promise<void> {
  const changes = batchChangesOf(events);
  await saveBatches(tx, changes.created);
  await mark(tx, 'cancelling_at', changes.cancelling);
  await mark(tx, 'finalizing_at', changes.finalizing);
  await saveExpansions(tx, expansionsOf(events));
  await addToQuotes(tx, quoteDeltasOf(events, objectChanges));
}

/** Marks the batch cancelling unless it is already; true when this call did (its TaskCancelRequested is due). */
export async function markCancelling(tx: RawSqlClient, batchId: string, at: string): Promise<boolean> {
  const changed = await tx.$executeRaw`UPDATE openai_batch SET cancelling_at = ${at}::timestamptz WHERE batch_id = ${batchId} AND cancelling_at IS NULL`;
  return changed > 0;
}

export async function findBatch(db: RawSqlClient, batchId: string): Promise<BatchRow | null> {
  const rows = await db.$queryRaw<BatchRecord[]>`SELECT * FROM openai_batch WHERE batch_id = ${batchId}`;
  return rows[0] ? toBatchRow(rows[0]) : null;
}

/** A page of the account's batches, newest first, after the batch `after` (keyset: one index range, any depth). */
export async function listBatches(db: RawSqlClient, accountId: string, after: string | undefined, limit: number): Promise<BatchRow[]> {
  const rows = after
    ? await db.$queryRaw<BatchRecord[]>`
        SELECT b.* FROM openai_batch b, openai_batch c
        WHERE c.batch_id = ${after} AND c.account_id = ${accountId} AND b.account_id = ${accountId}
          AND (b.created_at, b.batch_id) < (c.created_at, c.batch_id)
        ORDER BY b.created_at DESC, b.batch_id DESC LIMIT ${limit}`
    : await db.$queryRaw<BatchRecord[]>`
        SELECT * FROM openai_batch WHERE account_id = ${accountId} ORDER BY created_at DESC, batch_id DESC LIMIT ${limit}`;
  return rows.map(toBatchRow);
}

interface TaskCounts {
  task_id: string;
  total_items: number | null;
  completed_items: number;
  failed_items: number;
}

interface ProgressRecord {
  task_id: string;
  expanded_at: Date | null;
  submitted: number | null;
  rejected: number | null;
  quoted_items: number | null;
  base_micros: bigint | number | null;
  expected_micros: bigint | number | null;
  charged_micros: bigint | number | null;
  min_factor: number | null;
  max_factor: number | null;
}

/**
 * Each batch's progress in three queries however many batches: the task's counters, its
 * expansion and quote, its output files. A file's line count is known from the upload, so a
 * batch whose task row is not projected yet still has its total.
 */
export async function loadProgress(db: RawSqlClient, batches: readonly BatchRow[], itemsOfFile: ReadonlyMap<string, number>): Promise<Map<string, BatchProgress>> {
  const ids = batches.map((b) => b.batchId);
  const progress = new Map<string, BatchProgress>(
    batches.map((b) => [b.batchId, { totalItems: itemsOfFile.get(b.inputFileId) ?? 0, completedItems: 0, failedItems: 0, expansion: null, quote: null, outputFile: null, errorFile: null }]),
  );
  if (ids.length === 0) return progress;
  const tasks = await db.$queryRaw<TaskCounts[]>`
    SELECT task_id, total_items, completed_items, failed_items FROM task_view WHERE task_id = ANY(${ids}::text[])`;
  for (const t of tasks) {
    const p = progress.get(t.task_id) as BatchProgress;
    if (t.total_items !== null) p.totalItems = Number(t.total_items);
    p.completedItems = Number(t.completed_items);
    p.failedItems = Number(t.failed_items);
  }
  const rows = await db.$queryRaw<ProgressRecord[]>`
    SELECT ids.task_id, e.expanded_at, e.submitted, e.rejected, q.quoted_items, q.base_micros, q.expected_micros, q.charged_micros, q.min_factor, q.max_factor
    FROM unnest(${ids}::text[]) AS ids(task_id)
    LEFT JOIN file_expansion e ON e.task_id = ids.task_id
    LEFT JOIN task_quote q ON q.task_id = ids.task_id`;
  for (const r of rows) {
    const p = progress.get(r.task_id) as BatchProgress;
    if (r.expanded_at !== null) p.expansion = { taskId: r.task_id, submitted: Number(r.submitted), rejected: Number(r.rejected), expandedAt: iso(r.expanded_at) as string };
    if (r.quoted_items !== null) {
      const quote: TaskQuote = {
        quotedItems: Number(r.quoted_items),
        baseMicros: Number(r.base_micros),
        expectedMicros: Number(r.expected_micros),
        chargedMicros: Number(r.charged_micros),
        minFactor: r.min_factor === null ? null : Number(r.min_factor),
        maxFactor: r.max_factor === null ? null : Number(r.max_factor),
      };
      p.quote = quote;
    }
  }
  const files = await db.$queryRaw<FileRecord[]>`
    SELECT file_id, account_id, file_name, bytes, mime_type, sha256, blob_key, items, format, purpose, task_id, created_at
    FROM file_view WHERE task_id = ANY(${ids}::text[])`;
  for (const f of files.map(toFileRow)) {
    const p = progress.get(f.taskId as string);
    if (!p) continue;
    if (f.purpose === 'output') p.outputFile = f;
    else if (f.purpose === 'error') p.errorFile = f;
  }
  return progress;
}

/** The line counts of the batches' input files. */
export async function inputFileItems(db: RawSqlClient, fileIds: readonly string[]): Promise<Map<string, number>> {
  if (fileIds.length === 0) return new Map();
  const rows = await db.$queryRaw<{ file_id: string; items: number }[]>`SELECT file_id, items FROM file_view WHERE file_id = ANY(${[...fileIds]}::text[])`;
  return new Map(rows.map((r) => [r.file_id, Number(r.items)]));
}

/** One row of the batches' tables, keyed by table and id, for the rebuild's comparison. */
export interface BatchSnapshotRow {
  key: string;
  row: unknown;
}

/** Every row of the batches' tables (openai_batch, file_expansion, task_quote) in key order. */
export async function snapshotBatches(db: RawSqlClient): Promise<BatchSnapshotRow[]> {
  const batches = await db.$queryRaw<BatchRecord[]>`SELECT * FROM openai_batch ORDER BY batch_id`;
  const expansions = await db.$queryRaw<{ task_id: string }[]>`SELECT * FROM file_expansion ORDER BY task_id`;
  const quotes = await db.$queryRaw<{ task_id: string }[]>`SELECT * FROM task_quote ORDER BY task_id`;
  const plain = (row: object) => JSON.parse(JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))) as unknown;
  return [
    ...batches.map((r) => ({ key: `openai_batch/${r.batch_id}`, row: toBatchRow(r) })),
    ...expansions.map((r) => ({ key: `file_expansion/${r.task_id}`, row: plain(r) })),
    ...quotes.map((r) => ({ key: `task_quote/${r.task_id}`, row: plain(r) })),
  ];
}
