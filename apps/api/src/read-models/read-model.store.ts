import type { EventOf, SluiceEvent } from '@sluice/events';
import type { RawSqlClient } from '@sluice/persistence';
import { evolveBalance, isBalanceEvent, type BalanceRow } from './balance.projection';
import { evolveObject, isObjectEvent, isTerminal, objectIdsOf, statusCountDeltas, type ObjectRow, type ObjectStatus, type StatusCountDelta } from './object.projection';
import { fileRowsOf, isFileEvent, type FileRow } from '../files/file.projection';
import { markFilesDeleted, saveFiles, snapshotFiles } from '../files/file-view.store';
import { projectBatches, snapshotBatches, type BatchSnapshotRow } from '../openai-batches/openai-batch.store';
import { countReservations, dropHolds } from '../realtime/gateway-holds';
import { saveTransactions, snapshotTransactions } from '../wallet/wallet.store';
import { transactionOf, type TransactionRow } from './transaction.projection';
import { applyTaskDelta, cancelTask, evolveTask, isNewlyComplete, taskDelta, taskStatus, type TaskRow } from './task.projection';

export interface ProjectedBatch {
  /** Tasks whose last item became final in this batch (TaskCompleted is due for them). */
  completedTasks: TaskRow[];
  /** Objects that reached `completed` or `failed` in this batch. */
  finishedObjectIds: string[];
  /** The object rows this batch changed, as saved. */
  changedObjects: ObjectRow[];
}

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

export interface ObjectRecord {
  object_id: string;
  account_id: string;
  task_id: string | null;
  item_index: number | null;
  item_key: string | null;
  model: string | null;
  status: string;
  input_tokens: number | null;
  price_factor: number | null;
  max_output_tokens: number | null;
  sla_minutes: number | null;
  deadline_at: Date | null;
  submitted_at: Date | null;
  attempts: number;
  provider_id: string | null;
  mode: string | null;
  output_tokens: number | null;
  output_text: string | null;
  output_blob_key: string | null;
  error_code: string | null;
  error_message: string | null;
  sla_missed: boolean;
  finished_at: Date | null;
  updated_at: Date;
  customer_ref: string | null;
  metadata: string | null;
  charged_micros: bigint | number | null;
  balance_after_micros: bigint | number | null;
}

export function toObjectRow(r: ObjectRecord): ObjectRow {
  return {
    objectId: r.object_id,
    accountId: r.account_id,
    taskId: r.task_id,
    itemIndex: r.item_index,
    itemKey: r.item_key,
    model: r.model,
    status: r.status as ObjectStatus,
    inputTokens: r.input_tokens,
    priceFactor: r.price_factor,
    maxOutputTokens: r.max_output_tokens,
    slaMinutes: r.sla_minutes,
    deadlineAt: iso(r.deadline_at),
    submittedAt: iso(r.submitted_at),
    attempts: r.attempts,
    providerId: r.provider_id,
    mode: r.mode,
    outputTokens: r.output_tokens,
    outputText: r.output_text,
    outputBlobKey: r.output_blob_key,
    errorCode: r.error_code,
    errorMessage: r.error_message,
    slaMissed: r.sla_missed,
    finishedAt: iso(r.finished_at),
    updatedAt: iso(r.updated_at) ?? '',
    customerRef: r.customer_ref,
    metadata: r.metadata,
    chargedMicros: r.charged_micros === null ? null : Number(r.charged_micros),
    balanceAfterMicros: r.balance_after_micros === null ? null : Number(r.balance_after_micros),
  };
}

export interface TaskRecord {
  task_id: string;
  account_id: string;
  total_items: number | null;
  output_format: string | null;
  file_id: string | null;
  submitted_at: Date | null;
  completed_items: number;
  failed_items: number;
  completion_emitted: boolean;
  queued_items: number;
  running_items: number;
  cancelled_at: Date | null;
}

export function toTaskRow(r: TaskRecord): TaskRow {
  return {
    taskId: r.task_id,
    accountId: r.account_id,
    totalItems: r.total_items,
    outputFormat: r.output_format,
    fileId: r.file_id,
    submittedAt: iso(r.submitted_at),
    completedItems: r.completed_items,
    failedItems: r.failed_items,
    completionEmitted: r.completion_emitted,
    queuedItems: r.queued_items,
    runningItems: r.running_items,
    cancelledAt: iso(r.cancelled_at),
  };
}

interface BalanceRecord {
  account_id: string;
  available_micros: bigint | number;
  updated_at: Date;
}

export function toBalanceRow(r: BalanceRecord): BalanceRow {
  return { accountId: r.account_id, availableMicros: Number(r.available_micros), updatedAt: iso(r.updated_at) ?? '' };
}

async function loadObjects(tx: RawSqlClient, ids: string[]): Promise<Map<string, ObjectRow>> {
  if (ids.length === 0) return new Map();
  // FOR UPDATE: a billing batch and an object batch may touch one row at once (PostgreSQL).
  const rows = await tx.$queryRaw<ObjectRecord[]>`
    SELECT object_id, account_id, task_id, item_index, item_key, model, status, input_tokens, price_factor,
      max_output_tokens, sla_minutes, deadline_at, submitted_at, attempts, provider_id, mode, output_tokens, output_text,
      output_blob_key, error_code, error_message, sla_missed, finished_at, updated_at, customer_ref, metadata, charged_micros,
      balance_after_micros
    FROM object_view WHERE object_id = ANY(${ids}::text[]) FOR UPDATE`;
  return new Map(rows.map((r) => [r.object_id, toObjectRow(r)]));
}

async function saveObjects(tx: RawSqlClient, rows: ObjectRow[]): Promise<void> {
  if (rows.length === 0) return;
  const col = <K extends keyof ObjectRow>(k: K) => rows.map((r) => r[k]);
  await tx.$executeRaw`
    INSERT INTO object_view (object_id, account_id, task_id, item_index, item_key, model, status, input_tokens, price_factor,
      max_output_tokens, sla_minutes, deadline_at, submitted_at, attempts, provider_id, mode, output_tokens, output_text,
      output_blob_key, error_code, error_message, sla_missed, finished_at, updated_at, customer_ref, metadata, charged_micros,
      balance_after_micros)
    SELECT * FROM unnest(
      ${col('objectId')}::text[], ${col('accountId')}::text[], ${col('taskId')}::text[], ${col('itemIndex')}::int[],
      ${col('itemKey')}::text[], ${col('model')}::text[], ${col('status')}::text[], ${col('inputTokens')}::int[],
      ${col('priceFactor')}::float8[], ${col('maxOutputTokens')}::int[], ${col('slaMinutes')}::int[],
      ${col('deadlineAt')}::text[]::timestamptz[], ${col('submittedAt')}::text[]::timestamptz[], ${col('attempts')}::int[],
      ${col('providerId')}::text[], ${col('mode')}::text[], ${col('outputTokens')}::int[], ${col('outputText')}::text[],
      ${col('outputBlobKey')}::text[], ${col('errorCode')}::text[], ${col('errorMessage')}::text[], ${col('slaMissed')}::bool[],
      ${col('finishedAt')}::text[]::timestamptz[], ${col('updatedAt')}::text[]::timestamptz[], ${col('customerRef')}::text[],
      ${col('metadata')}::text[], ${col('chargedMicros')}::int8[], ${col('balanceAfterMicros')}::int8[])
    ON CONFLICT (object_id) DO UPDATE SET
      account_id = excluded.account_id, task_id = excluded.task_id, item_index = excluded.item_index,
      item_key = excluded.item_key, model = excluded.model, status = excluded.status, input_tokens = excluded.input_tokens,
      price_factor = excluded.price_factor, max_output_tokens = excluded.max_output_tokens, sla_minutes = excluded.sla_minutes,
      deadline_at = excluded.deadline_at, submitted_at = excluded.submitted_at, attempts = excluded.attempts,
      provider_id = excluded.provider_id, mode = excluded.mode, output_tokens = excluded.output_tokens,
      output_text = excluded.output_text, output_blob_key = excluded.output_blob_key, error_code = excluded.error_code,
      error_message = excluded.error_message, sla_missed = excluded.sla_missed, finished_at = excluded.finished_at,
      updated_at = excluded.updated_at, customer_ref = excluded.customer_ref, metadata = excluded.metadata,
      charged_micros = excluded.charged_micros, balance_after_micros = excluded.balance_after_micros`;
}

async function saveStatusCounts(tx: RawSqlClient, deltas: StatusCountDelta[]): Promise<void> {
  if (deltas.length === 0) return;
  await tx.$executeRaw`
    INSERT INTO object_status_count (status, sla_missed, n)
    SELECT * FROM unnest(${deltas.map((d) => d.status)}::text[], ${deltas.map((d) => d.slaMissed)}::bool[], ${deltas.map((d) => d.delta)}::int8[])
    ON CONFLICT (status, sla_missed) DO UPDATE SET n = object_status_count.n + excluded.n`;
}

/** How many objects are in one status (and whether they ended past their deadline). */
export interface StatusCount {
  status: string;
  slaMissed: boolean;
  count: number;
}

/** Objects by status and whether they ended past their deadline, as the projection keeps count. */
export async function objectStatusCounts(client: RawSqlClient): Promise<StatusCount[]> {
  const rows = await client.$queryRaw<{ status: string; sla_missed: boolean; n: bigint | number }[]>`
    SELECT status, sla_missed, n FROM object_status_count WHERE n <> 0 ORDER BY status, sla_missed`;
  return rows.map((r) => ({ status: r.status, slaMissed: r.sla_missed, count: Number(r.n) }));
}

async function loadTasks(tx: RawSqlClient, ids: string[]): Promise<Map<string, TaskRow>> {
  if (ids.length === 0) return new Map();
  const rows = await tx.$queryRaw<TaskRecord[]>`
    SELECT task_id, account_id, total_items, output_format, file_id, submitted_at, completed_items, failed_items, completion_emitted,
      queued_items, running_items, cancelled_at
    FROM task_view WHERE task_id = ANY(${ids}::text[]) FOR UPDATE`;
  return new Map(rows.map((r) => [r.task_id, toTaskRow(r)]));
}

/**
 * Read-your-writes for POST /v0/infer/: the submitting transaction writes the task row the
 * projection will derive from the same TaskSubmitted (evolveTask is a pure function of it), so
 * the GET that follows never answers 404; the projection's later upsert yields the same row.
 */
export async function recordSubmittedTask(tx: RawSqlClient, event: EventOf<'TaskSubmitted'>): Promise<void> {
  const row = evolveTask(null, event);
  await tx.$executeRaw`
    INSERT INTO task_view (task_id, account_id, total_items, output_format, file_id, submitted_at, completed_items, failed_items, completion_emitted, status)
    VALUES (${row.taskId}, ${row.accountId}, ${row.totalItems}, ${row.outputFormat}, ${row.fileId}, ${row.submittedAt}::timestamptz,
      ${row.completedItems}, ${row.failedItems}, ${row.completionEmitted}, ${taskStatus(row)})
    ON CONFLICT (task_id) DO NOTHING`;
}

/**
 * Read-your-writes for a cancel: the row the projection will derive from the same
 * TaskCancelRequested (cancelTask), written with the event; true when this was the first cancel.
 */
export async function recordCancelledTask(tx: RawSqlClient, event: EventOf<'TaskCancelRequested'>): Promise<boolean> {
  const before = (await loadTasks(tx, [event.payload.taskId])).get(event.payload.taskId) ?? null;
  const after = cancelTask(before, event);
  if (after === before) return false;
  await saveTasks(tx, [after]);
  return true;
}

async function saveTasks(tx: RawSqlClient, rows: TaskRow[]): Promise<void> {
  if (rows.length === 0) return;
  const col = <K extends keyof TaskRow>(k: K) => rows.map((r) => r[k]);
  await tx.$executeRaw`
    INSERT INTO task_view (task_id, account_id, total_items, output_format, file_id, submitted_at, completed_items, failed_items, completion_emitted,
      queued_items, running_items, cancelled_at, status)
    SELECT * FROM unnest(
      ${col('taskId')}::text[], ${col('accountId')}::text[], ${col('totalItems')}::int[], ${col('outputFormat')}::text[],
      ${col('fileId')}::text[], ${col('submittedAt')}::text[]::timestamptz[], ${col('completedItems')}::int[],
      ${col('failedItems')}::int[], ${col('completionEmitted')}::bool[], ${col('queuedItems')}::int[], ${col('runningItems')}::int[],
      ${col('cancelledAt')}::text[]::timestamptz[], ${rows.map(taskStatus)}::text[])
    ON CONFLICT (task_id) DO UPDATE SET
      account_id = excluded.account_id, total_items = excluded.total_items, output_format = excluded.output_format,
      file_id = excluded.file_id, submitted_at = excluded.submitted_at, completed_items = excluded.completed_items,
      failed_items = excluded.failed_items, completion_emitted = excluded.completion_emitted, queued_items = excluded.queued_items,
      running_items = excluded.running_items, cancelled_at = excluded.cancelled_at, status = excluded.status`;
}

async function loadBalances(tx: RawSqlClient, ids: string[]): Promise<Map<string, BalanceRow>> {
  if (ids.length === 0) return new Map();
  const rows = await tx.$queryRaw<BalanceRecord[]>`
    SELECT account_id, available_micros, updated_at FROM balance_view WHERE account_id = ANY(${ids}::text[]) FOR UPDATE`;
  return new Map(rows.map((r) => [r.account_id, toBalanceRow(r)]));
}

async function saveBalances(tx: RawSqlClient, rows: BalanceRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.$executeRaw`
    INSERT INTO balance_view (account_id, available_micros, updated_at)
    SELECT * FROM unnest(${rows.map((r) => r.accountId)}::text[], ${rows.map((r) => String(r.availableMicros))}::text[]::bigint[],
      ${rows.map((r) => r.updatedAt)}::text[]::timestamptz[])
    ON CONFLICT (account_id) DO UPDATE SET available_micros = excluded.available_micros, updated_at = excluded.updated_at`;
}

const unique = (values: Iterable<string>) => [...new Set(values)];

/**
 * The thin adapter under the pure projections: one batch of events → three queries to load
 * the rows they touch, the folds in memory, three bulk upserts. Run it on the consumer's
 * transaction so the rows and the processed ids commit together.
 */
export async function projectEvents(tx: RawSqlClient, events: readonly SluiceEvent[]): Promise<ProjectedBatch> {
  const objectEvents = events.filter(isObjectEvent);
  const before = await loadObjects(tx, unique(objectEvents.flatMap(objectIdsOf)));
  const objects = new Map(before);
  for (const event of objectEvents) {
    for (const id of objectIdsOf(event)) objects.set(id, evolveObject(id, objects.get(id) ?? null, event));
  }
  const changedObjects = [...objects.values()].filter((row) => row !== before.get(row.objectId));
  const deltas = changedObjects.flatMap((row) => taskDelta(before.get(row.objectId) ?? null, row) ?? []);

  const taskEvents = events.filter((e): e is EventOf<'TaskSubmitted' | 'TaskCancelRequested'> => e.type === 'TaskSubmitted' || e.type === 'TaskCancelRequested');
  const tasksBefore = await loadTasks(tx, unique([...taskEvents.map((e) => e.payload.taskId), ...deltas.map((d) => d.taskId)]));
  const tasks = new Map(tasksBefore);
  for (const event of taskEvents) {
    const row = tasks.get(event.payload.taskId) ?? null;
    tasks.set(event.payload.taskId, event.type === 'TaskSubmitted' ? evolveTask(row, event) : cancelTask(row, event));
  }
  for (const delta of deltas) tasks.set(delta.taskId, applyTaskDelta(tasks.get(delta.taskId) ?? null, delta));
  const completedTasks = [...tasks.values()].filter(isNewlyComplete);
  for (const task of completedTasks) tasks.set(task.taskId, { ...task, completionEmitted: true });

  const balanceEvents = events.filter(isBalanceEvent);
  const balancesBefore = await loadBalances(tx, unique(balanceEvents.map((e) => e.payload.accountId)));
  const balances = new Map(balancesBefore);
  const transactions: TransactionRow[] = [];
  for (const event of balanceEvents) {
    const current = balances.get(event.payload.accountId) ?? null;
    const transaction = transactionOf(current?.availableMicros ?? 0, event);
    if (transaction) transactions.push(transaction);
    const row = evolveBalance(current, event);
    if (row) balances.set(row.accountId, row);
  }

  await saveObjects(tx, changedObjects);
  await saveTasks(tx, [...tasks.values()].filter((t) => t !== tasksBefore.get(t.taskId)));
  await saveBalances(tx, [...balances.values()].filter((b) => b !== balancesBefore.get(b.accountId)));
  await saveTransactions(tx, transactions);
  // A served request is counted once: by its gateway hold until the balance above counts its
  // reservation (the hold then gives the reservation back) and, once it counts the charge, by that alone.
  await countReservations(tx, balanceEvents.flatMap((e) => (e.type === 'FundsReserved' && e.payload.gateway ? [e.payload] : [])));
  await dropHolds(tx, balanceEvents.flatMap((e) => (e.type === 'Charged' || e.type === 'FundsReleased' || e.type === 'FundsDenied' ? [e.payload.objectId] : [])));
  await saveFiles(tx, events.filter(isFileEvent).flatMap(fileRowsOf));
  await markFilesDeleted(tx, events.flatMap((e) => (e.type === 'FileDeleted' ? [{ fileId: e.payload.fileId, at: e.occurredAt }] : [])));
  const changes = changedObjects.map((after) => ({ before: before.get(after.objectId) ?? null, after }));
  await projectBatches(tx, events, changes);
  // Last: every transaction of every API replica updates these few rows, so each holds them only until its commit.
  await saveStatusCounts(tx, statusCountDeltas(changes));
  return {
    completedTasks,
    finishedObjectIds: changedObjects.filter((r) => isTerminal(r.status) && !isTerminal(before.get(r.objectId)?.status ?? 'submitted')).map((r) => r.objectId),
    changedObjects,
  };
}

export interface ReadModelSnapshot {
  objects: ObjectRow[];
  statusCounts: StatusCount[];
  tasks: TaskRow[];
  balances: BalanceRow[];
  files: FileRow[];
  /** OpenAI batches and what their views read besides the rows above (expansions, task quotes), as plain rows. */
  batches: BatchSnapshotRow[];
  transactions: TransactionRow[];
}

/** Which rows of a large read model to read: a keyset page (after a key, in key order), or the rows with these keys. */
export interface RowSelection {
  after?: string | null;
  keys?: readonly string[] | null;
  limit?: number;
}

/** object_view rows, in object id order. */
export async function snapshotObjects(client: RawSqlClient, selection: RowSelection = {}): Promise<ObjectRow[]> {
  const objects = await client.$queryRaw<ObjectRecord[]>`
    SELECT object_id, account_id, task_id, item_index, item_key, model, status, input_tokens, price_factor,
      max_output_tokens, sla_minutes, deadline_at, submitted_at, attempts, provider_id, mode, output_tokens, output_text,
      output_blob_key, error_code, error_message, sla_missed, finished_at, updated_at, customer_ref, metadata, charged_micros,
      balance_after_micros
    FROM object_view
    WHERE (${selection.after ?? null}::text IS NULL OR object_id > ${selection.after ?? null}::text)
      AND (${selection.keys ?? null}::text[] IS NULL OR object_id = ANY(${selection.keys ?? null}::text[]))
    ORDER BY object_id LIMIT ${selection.limit ?? null}::int`;
  return objects.map(toObjectRow);
}

/**
 * Every read-model row, in key order; without `objects` and `transactions` when `large` is false
 * (the rebuild reads those two page by page: a million objects do not fit in a heap twice).
 */
export async function snapshotReadModels(client: RawSqlClient, { large = true }: { large?: boolean } = {}): Promise<ReadModelSnapshot> {
  const tasks = await client.$queryRaw<TaskRecord[]>`
    SELECT task_id, account_id, total_items, output_format, file_id, submitted_at, completed_items, failed_items, completion_emitted,
      queued_items, running_items, cancelled_at
    FROM task_view ORDER BY task_id`;
  const balances = await client.$queryRaw<BalanceRecord[]>`SELECT account_id, available_micros, updated_at FROM balance_view ORDER BY account_id`;
  return {
    objects: large ? await snapshotObjects(client) : [],
    statusCounts: await objectStatusCounts(client),
    tasks: tasks.map(toTaskRow),
    balances: balances.map(toBalanceRow),
    files: await snapshotFiles(client),
    batches: await snapshotBatches(client),
    transactions: large ? await snapshotTransactions(client) : [],
  };
}
