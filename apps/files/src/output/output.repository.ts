import type { RawSqlClient } from '@sluice/persistence';

export interface NewOutputItem {
  objectId: string;
  taskId: string;
  index: number;
  key: string;
  /** pending until the object ends; a rejected line is failed from the start. */
  status: 'pending' | 'failed';
  errorCode: string | null;
  errorMessage: string | null;
  /** From the submission (null for a rejected line): what an OpenAI output line reports. */
  model: string | null;
  maxOutputTokens: number | null;
}

export interface FinalResult {
  objectId: string;
  status: 'completed' | 'failed';
  text: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  finishedAt: string;
}

/** Inserts the items not known yet; returns the task of each failed-from-the-start one inserted (they count as final). */
export async function insertOutputItems(tx: RawSqlClient, items: readonly NewOutputItem[]): Promise<string[]> {
  if (items.length === 0) return [];
  const rows = await tx.$queryRaw<{ task_id: string; status: string }[]>`
    INSERT INTO output_item (object_id, task_id, item_index, item_key, status, error_code, error_message, model, max_output_tokens)
    SELECT * FROM unnest(${items.map((i) => i.objectId)}::text[], ${items.map((i) => i.taskId)}::text[], ${items.map((i) => i.index)}::int[],
      ${items.map((i) => i.key)}::text[], ${items.map((i) => i.status)}::text[], ${items.map((i) => i.errorCode)}::text[], ${items.map((i) => i.errorMessage)}::text[],
      ${items.map((i) => i.model)}::text[], ${items.map((i) => i.maxOutputTokens)}::int[])
    ON CONFLICT (object_id) DO NOTHING
    RETURNING task_id, status`;
  return rows.filter((r) => r.status === 'failed').map((r) => r.task_id);
}

/** Records each object's end unless it already ended (the first end wins); returns the task of each row that changed. */
export async function finishOutputItems(tx: RawSqlClient, results: readonly FinalResult[]): Promise<string[]> {
  if (results.length === 0) return [];
  const rows = await tx.$queryRaw<{ task_id: string }[]>`
    UPDATE output_item o
    SET status = v.status, output_text = v.text, error_code = v.code, error_message = v.message,
      input_tokens = v.input_tokens, output_tokens = v.output_tokens, finished_at = v.finished_at
    FROM unnest(${results.map((r) => r.objectId)}::text[], ${results.map((r) => r.status)}::text[], ${results.map((r) => r.text)}::text[],
      ${results.map((r) => r.errorCode)}::text[], ${results.map((r) => r.errorMessage)}::text[], ${results.map((r) => r.inputTokens)}::int[],
      ${results.map((r) => r.outputTokens)}::int[], ${results.map((r) => r.finishedAt)}::text[]::timestamptz[])
      AS v(object_id, status, text, code, message, input_tokens, output_tokens, finished_at)
    WHERE o.object_id = v.object_id AND o.status = 'pending'
    RETURNING o.task_id`;
  return rows.map((r) => r.task_id);
}

/** Adds newly final items to their tasks' counters (a task row may not exist yet: its TaskSubmitted comes on another topic). */
export async function countFinalItems(tx: RawSqlClient, taskIds: readonly string[]): Promise<void> {
  const counts = new Map<string, number>();
  for (const id of taskIds) counts.set(id, (counts.get(id) ?? 0) + 1);
  if (counts.size === 0) return;
  await tx.$executeRaw`
    INSERT INTO output_task (task_id, final_items)
    SELECT * FROM unnest(${[...counts.keys()]}::text[], ${[...counts.values()]}::int[])
    ON CONFLICT (task_id) DO UPDATE SET final_items = output_task.final_items + excluded.final_items`;
}

export async function recordOutputTask(tx: RawSqlClient, taskId: string, accountId: string, totalItems: number, openaiBatch: boolean): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO output_task (task_id, account_id, total_items, openai_batch) VALUES (${taskId}, ${accountId}, ${totalItems}, ${openaiBatch})
    ON CONFLICT (task_id) DO UPDATE SET account_id = excluded.account_id, total_items = excluded.total_items, openai_batch = excluded.openai_batch`;
}

export interface ReadyOutputTask {
  taskId: string;
  accountId: string;
  totalItems: number;
  openaiBatch: boolean;
}

/** Tasks whose every item has ended and whose output file is not written yet. */
export async function readyOutputTasks(db: RawSqlClient, limit: number): Promise<ReadyOutputTask[]> {
  const rows = await db.$queryRaw<{ task_id: string; account_id: string; total_items: number; openai_batch: boolean }[]>`
    SELECT task_id, account_id, total_items, openai_batch FROM output_task
    WHERE output_file_id IS NULL AND total_items IS NOT NULL AND final_items >= total_items
    ORDER BY task_id LIMIT ${limit}`;
  return rows.map((r) => ({ taskId: r.task_id, accountId: r.account_id, totalItems: Number(r.total_items), openaiBatch: r.openai_batch }));
}

export interface OutputRow {
  object_id: string;
  item_index: number;
  item_key: string;
  status: string;
  output_text: string | null;
  error_code: string | null;
  error_message: string | null;
  model: string | null;
  max_output_tokens: number | null;
  input_tokens: number | null;
  output_tokens: number | null;
  finished_at: Date | null;
}

/** Which of a task's items a page holds: all, or (for OpenAI's two files) the completed or the failed ones. */
export type OutputSelection = 'all' | 'completed' | 'failed';

/** One page of a task's results in input order, after `afterIndex` (keyset paging: constant memory for any size). */
export function outputPage(db: RawSqlClient, taskId: string, afterIndex: number, limit: number, selection: OutputSelection = 'all'): PromiseLike<OutputRow[]> {
  return db.$queryRaw<OutputRow[]>`
    SELECT object_id, item_index, item_key, status, output_text, error_code, error_message, model, max_output_tokens, input_tokens, output_tokens, finished_at
    FROM output_item
    WHERE task_id = ${taskId} AND item_index > ${afterIndex} AND (${selection} = 'all' OR status = ${selection})
    ORDER BY item_index LIMIT ${limit}`;
}

/** How many of a task's items failed (an OpenAI batch writes an error file only when some did). */
export async function countFailedItems(db: RawSqlClient, taskId: string): Promise<number> {
  const [row] = await db.$queryRaw<{ n: bigint | number }[]>`SELECT count(*) AS n FROM output_item WHERE task_id = ${taskId} AND status = 'failed'`;
  return Number(row?.n ?? 0);
}

export async function markOutputWritten(tx: RawSqlClient, taskId: string, outputFileId: string): Promise<boolean> {
  const changed = await tx.$executeRaw`UPDATE output_task SET output_file_id = ${outputFileId} WHERE task_id = ${taskId} AND output_file_id IS NULL`;
  return changed > 0;
}
