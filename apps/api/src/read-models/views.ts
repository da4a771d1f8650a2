import type { ObjectRow, ObjectStatus } from './object.projection';
import { summariseTask, type TaskRow } from './task.projection';

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

export function taskView(task: TaskRow | null, taskId: string, objects: readonly ObjectRow[]) {
  const totalItems = task?.totalItems ?? objects.length;
  return {
    status: summariseTask(task?.totalItems ?? null, objects.map((o) => o.status)),
    task_id: taskId,
    total_items: totalItems,
    objects: objects.map(taskObjectView),
  };
}
