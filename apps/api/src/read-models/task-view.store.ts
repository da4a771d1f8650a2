import type { RawSqlClient } from '@sluice/persistence';
import type { ObjectRow, ObjectStatus } from './object.projection';
import { toObjectRow, toTaskRow, type ObjectRecord, type TaskRecord } from './read-model.store';
import type { TaskListStatus, TaskRow } from './task.projection';

export async function findTask(db: RawSqlClient, taskId: string): Promise<TaskRow | null> {
  const rows = await db.$queryRaw<TaskRecord[]>`
    SELECT task_id, account_id, total_items, output_format, file_id, submitted_at, completed_items, failed_items, completion_emitted,
      queued_items, running_items, cancelled_at
    FROM task_view WHERE task_id = ${taskId}`;
  return rows[0] ? toTaskRow(rows[0]) : null;
}

export interface TaskListQuery {
  status?: TaskListStatus;
  /** ISO instant: only tasks submitted after it. */
  createdAfter?: string;
  /** The last task of the previous page (its submission time and id). */
  after?: { submittedAt: string; taskId: string };
  limit: number;
}

/**
 * The account's tasks, newest first, keyset on (submitted_at, task_id): a task submitted while a
 * client pages is newer than every cursor, so no task is shown twice or skipped.
 */
export async function listTasks(db: RawSqlClient, accountId: string, query: TaskListQuery): Promise<TaskRow[]> {
  const rows = await db.$queryRaw<TaskRecord[]>`
    SELECT task_id, account_id, total_items, output_format, file_id, submitted_at, completed_items, failed_items, completion_emitted,
      queued_items, running_items, cancelled_at
    FROM task_view
    WHERE account_id = ${accountId} AND submitted_at IS NOT NULL
      AND (${query.status ?? null}::text IS NULL OR status = ${query.status ?? null}::text)
      AND (${query.createdAfter ?? null}::timestamptz IS NULL OR submitted_at > ${query.createdAfter ?? null}::timestamptz)
      AND (${query.after?.submittedAt ?? null}::timestamptz IS NULL
        OR (submitted_at, task_id) < (${query.after?.submittedAt ?? null}::timestamptz, ${query.after?.taskId ?? null}::text))
    ORDER BY submitted_at DESC, task_id DESC
    LIMIT ${query.limit}`;
  return rows.map(toTaskRow);
}

export interface ObjectPageQuery {
  status?: ObjectStatus;
  /** The last object of the previous page (its place in the task and id). */
  after?: { itemIndex: number; objectId: string };
  limit: number;
}

/** Where an object stands in its task, for a cursor: null when it is not an object of the task. */
export async function objectPlace(db: RawSqlClient, taskId: string, objectId: string): Promise<{ itemIndex: number; objectId: string } | null> {
  const rows = await db.$queryRaw<{ item_index: number | null }[]>`
    SELECT item_index FROM object_view WHERE object_id = ${objectId} AND task_id = ${taskId}`;
  const itemIndex = rows[0]?.item_index;
  return itemIndex === undefined || itemIndex === null ? null : { itemIndex, objectId };
}

/**
 * A page of the task's objects in item order, keyset on (item_index, object_id): an object's
 * place never changes, so one projected while a client pages is never shown twice, and none
 * that was there when paging began is skipped. The order is the index's (task_id, item_index,
 * object_id): a page is read without sorting the task (the parameters are cast so that it is used).
 */
export async function taskObjectsPage(db: RawSqlClient, taskId: string, query: ObjectPageQuery): Promise<ObjectRow[]> {
  const index = query.after?.itemIndex ?? -1;
  const objectId = query.after?.objectId ?? '';
  const rows = await db.$queryRaw<ObjectRecord[]>`
    SELECT * FROM object_view
    WHERE task_id = ${taskId} AND (item_index, object_id) > (${index}::int, ${objectId}::text)
      AND (${query.status ?? null}::text IS NULL OR status = ${query.status ?? null}::text)
    ORDER BY item_index, object_id
    LIMIT ${query.limit}`;
  return rows.map(toObjectRow);
}
