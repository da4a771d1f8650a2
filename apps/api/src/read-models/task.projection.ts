import type { EventOf } from '@sluice/events';
import { isTerminal, type ObjectRow, type ObjectStatus } from './object.projection';

/** One task as the read model keeps it; its objects are rows of their own. */
export interface TaskRow {
  taskId: string;
  accountId: string;
  /** Null until TaskSubmitted is projected: objects of the task may be projected before it. */
  totalItems: number | null;
  outputFormat: string | null;
  fileId: string | null;
  submittedAt: string | null;
  completedItems: number;
  failedItems: number;
  completionEmitted: boolean;
  queuedItems: number;
  runningItems: number;
  /** When the customer cancelled it (TaskCancelRequested); the first request stands. */
  cancelledAt: string | null;
}

export function blankTask(taskId: string, accountId: string): TaskRow {
  return {
    taskId,
    accountId,
    totalItems: null,
    outputFormat: null,
    fileId: null,
    submittedAt: null,
    completedItems: 0,
    failedItems: 0,
    completionEmitted: false,
    queuedItems: 0,
    runningItems: 0,
    cancelledAt: null,
  };
}

export function evolveTask(row: TaskRow | null, event: EventOf<'TaskSubmitted'>): TaskRow {
  const p = event.payload;
  return {
    ...(row ?? blankTask(p.taskId, p.accountId)),
    totalItems: p.totalItems,
    outputFormat: p.outputFormat,
    fileId: p.fileId ?? null,
    submittedAt: event.occurredAt,
  };
}

/** TaskCancelRequested (or the API's cancel, writing the same row first): the first cancellation stands. */
export function cancelTask(row: TaskRow | null, event: Pick<EventOf<'TaskCancelRequested'>, 'payload' | 'occurredAt'>): TaskRow {
  const current = row ?? blankTask(event.payload.taskId, event.payload.accountId);
  return current.cancelledAt !== null ? current : { ...current, cancelledAt: event.occurredAt };
}

export interface TaskCounterDelta {
  taskId: string;
  accountId: string;
  queued: number;
  running: number;
  completed: number;
  failed: number;
}

const countedStatus = (row: ObjectRow | null): ObjectStatus | null => (row === null || row.taskId === null ? null : row.status);

const COUNTERS = { queued: 'queued', running: 'running', completed: 'completed', failed: 'failed' } as const;

/**
 * What an object's change adds to its task's counters: an object counts under its current
 * status once it is known to belong to a task (submitted ones are the rest of the total); a
 * final one counts once, as it first ended.
 */
export function taskDelta(before: ObjectRow | null, after: ObjectRow): TaskCounterDelta | null {
  if (after.taskId === null) return null;
  const was = countedStatus(before);
  if (was !== null && isTerminal(was)) return null;
  const now = countedStatus(after);
  if (was === now) return null;
  const delta: TaskCounterDelta = { taskId: after.taskId, accountId: after.accountId, queued: 0, running: 0, completed: 0, failed: 0 };
  for (const [counter, status] of Object.entries(COUNTERS) as [keyof typeof COUNTERS, ObjectStatus][]) {
    delta[counter] = (now === status ? 1 : 0) - (was === status ? 1 : 0);
  }
  return delta;
}

export function applyTaskDelta(row: TaskRow | null, delta: TaskCounterDelta): TaskRow {
  const current = row ?? blankTask(delta.taskId, delta.accountId);
  return {
    ...current,
    queuedItems: current.queuedItems + delta.queued,
    runningItems: current.runningItems + delta.running,
    completedItems: current.completedItems + delta.completed,
    failedItems: current.failedItems + delta.failed,
  };
}

/** A task's objects by status; `submitted` is what is neither queued, running nor final (including objects not projected yet). */
export interface TaskCounts {
  submitted: number;
  queued: number;
  running: number;
  completed: number;
  failed: number;
}

export function taskCounts(row: TaskRow, projected = 0): TaskCounts {
  const known = row.queuedItems + row.runningItems + row.completedItems + row.failedItems;
  const total = row.totalItems ?? projected;
  return { submitted: Math.max(0, total - known), queued: row.queuedItems, running: row.runningItems, completed: row.completedItems, failed: row.failedItems };
}

export type TaskListStatus = TaskStatus | 'cancelling' | 'cancelled';

/**
 * The task's status from its counters, as summariseTask derives it from its objects; a
 * cancelled task is `cancelling` until its last object ended, then `cancelled`.
 */
export function taskStatus(row: TaskRow): TaskListStatus {
  const c = taskCounts(row);
  const total = row.totalItems ?? 0;
  const ended = total > 0 && c.completed + c.failed >= total;
  if (row.cancelledAt !== null) return ended ? 'cancelled' : 'cancelling';
  if (ended) return c.completed > 0 ? 'completed' : 'failed';
  if (c.running > 0 || c.completed + c.failed > 0) return 'running';
  if (c.queued > 0) return 'queued';
  return 'submitted';
}

/** True once every item of the task is final and TaskCompleted has not been produced yet. */
export function isNewlyComplete(row: TaskRow): boolean {
  return !row.completionEmitted && row.totalItems !== null && row.completedItems + row.failedItems >= row.totalItems;
}

export type TaskStatus = ObjectStatus;

/**
 * The task's status from its objects' statuses: `completed` once all are final and at least
 * one completed (per-object failures stay visible on the objects, as in OpenAI's Batch API),
 * `failed` when all are final and none completed, otherwise the furthest any object has got
 * (`running` once any runs or is done, then `queued`, else `submitted`).
 */
export function summariseTask(totalItems: number | null, statuses: readonly ObjectStatus[]): TaskStatus {
  const known = totalItems ?? statuses.length;
  const done = statuses.filter(isTerminal).length;
  if (known > 0 && statuses.length >= known && done === statuses.length) {
    return statuses.includes('completed') ? 'completed' : 'failed';
  }
  if (statuses.some((s) => s === 'running' || isTerminal(s))) return 'running';
  if (statuses.includes('queued')) return 'queued';
  return 'submitted';
}
