import type { RawSqlClient } from '@sluice/persistence';

export interface PendingExpansion {
  taskId: string;
  fileId: string;
  accountId: string;
  blobKey: string;
  format: string | null;
  fileAccountId: string;
  slaMinutes: number | null;
  collectOutput: boolean;
  totalItems: number;
  submittedAt: Date;
  nextOffset: number;
  nextLineNo: number;
  nextIndex: number;
  submitted: number;
  rejected: number;
}

export interface Checkpoint {
  nextOffset: number;
  nextLineNo: number;
  nextIndex: number;
  submitted: number;
  rejected: number;
}

interface PendingRow {
  task_id: string;
  file_id: string;
  account_id: string;
  blob_key: string;
  format: string | null;
  file_account_id: string;
  sla_minutes: number | null;
  collect_output: boolean;
  total_items: number;
  submitted_at: Date;
  next_offset: bigint | number;
  next_line_no: number;
  next_index: number;
  submitted: number;
  rejected: number;
}

export async function recordExpansion(
  tx: RawSqlClient,
  task: { taskId: string; fileId: string; accountId: string; slaMinutes: number | null; collectOutput: boolean; totalItems: number; submittedAt: Date },
): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO expansion (task_id, file_id, account_id, sla_minutes, collect_output, total_items, submitted_at)
    VALUES (${task.taskId}, ${task.fileId}, ${task.accountId}, ${task.slaMinutes}, ${task.collectOutput}, ${task.totalItems}, ${task.submittedAt})
    ON CONFLICT (task_id) DO NOTHING`;
}

/** Expansions not finished whose file is known (FileStored and TaskSubmitted travel on different topics). */
export async function pendingExpansions(db: RawSqlClient, limit: number): Promise<PendingExpansion[]> {
  const rows = await db.$queryRaw<PendingRow[]>`
    SELECT e.task_id, e.file_id, e.account_id, f.blob_key, f.format, f.account_id AS file_account_id, e.sla_minutes, e.collect_output,
      e.total_items, e.submitted_at, e.next_offset, e.next_line_no, e.next_index, e.submitted, e.rejected
    FROM expansion e JOIN stored_file f ON f.file_id = e.file_id
    WHERE NOT e.done ORDER BY e.submitted_at LIMIT ${limit}`;
  return rows.map((r) => ({
    taskId: r.task_id,
    fileId: r.file_id,
    accountId: r.account_id,
    blobKey: r.blob_key,
    format: r.format,
    fileAccountId: r.file_account_id,
    slaMinutes: r.sla_minutes,
    collectOutput: r.collect_output,
    totalItems: Number(r.total_items),
    submittedAt: new Date(r.submitted_at),
    nextOffset: Number(r.next_offset),
    nextLineNo: Number(r.next_line_no),
    nextIndex: Number(r.next_index),
    submitted: Number(r.submitted),
    rejected: Number(r.rejected),
  }));
}

/** Moves the checkpoint after a chunk's events are on the log: a restart resumes here. */
export async function saveCheckpoint(db: RawSqlClient, taskId: string, at: Checkpoint): Promise<void> {
  await db.$executeRaw`
    UPDATE expansion SET next_offset = ${at.nextOffset}, next_line_no = ${at.nextLineNo}, next_index = ${at.nextIndex},
      submitted = ${at.submitted}, rejected = ${at.rejected}
    WHERE task_id = ${taskId} AND NOT done`;
}

export async function markExpanded(tx: RawSqlClient, taskId: string): Promise<boolean> {
  return (await tx.$executeRaw`UPDATE expansion SET done = true WHERE task_id = ${taskId} AND NOT done`) > 0;
}

export async function recordStoredFile(
  tx: RawSqlClient,
  file: { fileId: string; accountId: string; fileName: string; blobKey: string; bytes: number; items: number; format: string | null; storedAt: Date },
): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO stored_file (file_id, account_id, file_name, blob_key, bytes, items, format, stored_at)
    VALUES (${file.fileId}, ${file.accountId}, ${file.fileName}, ${file.blobKey}, ${file.bytes}, ${file.items}, ${file.format}, ${file.storedAt})
    ON CONFLICT (file_id) DO NOTHING`;
}
