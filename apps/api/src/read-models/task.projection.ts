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
}

export function blankTask(taskId: string, accountId: string): TaskRow {
  return { taskId, accountId, totalItems: null, outputFormat: null, fileId: null, submittedAt: null, completedItems: 0, failedItems: 0, completionEmitted: false };
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

export interface TaskCounterDelta {
  taskId: string;
  accountId: string;
  completed: number;
  failed: number;
}

const countsTowardsTask = (row: ObjectRow | null): row is ObjectRow & { taskId: string } => row !== null && row.taskId !== null && isTerminal(row.status);

/**
 * What an object's change adds to its task's counters: an object counts once, when it is
 * both known to belong to a task and final (in whichever order those became true).
 */
export function taskDelta(before: ObjectRow | null, after: ObjectRow): TaskCounterDelta | null {
  if (countsTowardsTask(before) || !countsTowardsTask(after)) return null;
  return {
    taskId: after.taskId,
    accountId: after.accountId,
    completed: after.status === 'completed' ? 1 : 0,
    failed: after.status === 'failed' ? 1 : 0,
  };
}

export function applyTaskDelta(row: TaskRow | null, delta: TaskCounterDelta): TaskRow {
  const current = row ?? blankTask(delta.taskId, delta.accountId);
  return { ...current, completedItems: current.completedItems + delta.completed, failedItems: current.failedItems + delta.failed };
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
