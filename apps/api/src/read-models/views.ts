import type { ObjectRow, ObjectStatus } from './object.projection';
import { taskCounts, taskStatus, type TaskRow } from './task.projection';

export interface UsageView {
  input_tokens: number;
  price_factor: number;
  output_tokens?: number;
}

export interface ObjectView {
  object_id: string;
  /** The line's key (`key` / `custom_id`) when the object came from a file. */
  key?: string;
  status: ObjectStatus;
  usage: UsageView;
  error: { code: string; message: string } | null;
  output: { type: 'text'; text: string | null; blob_key?: string } | null;
  model: string | null;
  sla_missed: boolean;
}

export function usageOf(row: ObjectRow): UsageView {
  const usage: UsageView = { input_tokens: row.inputTokens ?? 0, price_factor: row.priceFactor ?? 1 };
  if (row.status === 'completed' && row.outputTokens !== null) usage.output_tokens = row.outputTokens;
  return usage;
}

/** GET /v0/infer/object/{id}: the seed's fields (output and error null unless completed or failed) and two of ours. */
export function objectView(row: ObjectRow): ObjectView {
  const output =
    row.status !== 'completed'
      ? null
      : row.outputBlobKey !== null
        ? { type: 'text' as const, text: row.outputText, blob_key: row.outputBlobKey }
        : { type: 'text' as const, text: row.outputText ?? '' };
  return {
    object_id: row.objectId,
    ...(row.itemKey !== null ? { key: row.itemKey } : {}),
    status: row.status,
    usage: usageOf(row),
    error: row.status === 'failed' ? { code: row.errorCode ?? 'failed', message: row.errorMessage ?? '' } : null,
    output,
    model: row.model,
    sla_missed: row.slaMissed,
  };
}

/** An object inside a task: as the seed's task example, output only once completed, error only on failure. */
export function taskObjectView(row: ObjectRow) {
  const { output, error, ...rest } = objectView(row);
  return { ...rest, ...(output ? { output } : {}), ...(error ? { error } : {}) };
}

/** A page of a list: `next` is the `after` that gives the next page (null on the last). */
export interface Page {
  has_more: boolean;
  next: string | null;
}

export function pageOf<T>(rows: readonly T[], limit: number, idOf: (row: T) => string): { page: T[] } & Page {
  const page = rows.slice(0, limit);
  const hasMore = rows.length > limit;
  return { page, has_more: hasMore, next: hasMore ? idOf(page[page.length - 1]) : null };
}

/**
 * GET /v0/infer/task/{id}: the seed's fields with one page of its objects (in item order), the
 * counts by status over all of them, and the cursor to the next page.
 */
export function taskView(task: TaskRow, objects: readonly ObjectRow[], page: Page) {
  return {
    status: taskStatus(task),
    task_id: task.taskId,
    total_items: task.totalItems ?? 0,
    counts: taskCounts(task),
    objects: objects.map(taskObjectView),
    ...page,
  };
}

/** One task in GET /v0/infer/tasks. */
export function taskSummaryView(task: TaskRow) {
  return {
    task_id: task.taskId,
    status: taskStatus(task),
    total_items: task.totalItems ?? 0,
    counts: taskCounts(task),
    output_format: task.outputFormat === 'jsonl' ? ('jsonl' as const) : ('json' as const),
    file_id: task.fileId,
    created_at: task.submittedAt ?? '',
    cancelled_at: task.cancelledAt,
  };
}
