import type { RawSqlClient } from '@sluice/persistence';
import type { FileModels, FileRow } from './file.projection';

export interface FileRecord {
  file_id: string;
  account_id: string;
  file_name: string;
  bytes: bigint | number;
  mime_type: string;
  sha256: string;
  blob_key: string;
  items: number;
  format: string | null;
  purpose: string;
  task_id: string | null;
  created_at: Date;
  models: FileModels | null;
}

export const toFileRow = (r: FileRecord): FileRow => ({
  fileId: r.file_id,
  accountId: r.account_id,
  fileName: r.file_name,
  bytes: Number(r.bytes),
  mimeType: r.mime_type,
  sha256: r.sha256,
  blobKey: r.blob_key,
  items: Number(r.items),
  format: r.format,
  purpose: r.purpose === 'output' || r.purpose === 'error' ? r.purpose : 'input',
  taskId: r.task_id,
  createdAt: new Date(r.created_at).toISOString(),
  models: r.models,
});

/** Files never change: the first write of a row (the upload's own, or the projection's) stands. */
export async function saveFiles(tx: RawSqlClient, rows: readonly FileRow[]): Promise<void> {
  if (rows.length === 0) return;
  const col = <K extends keyof FileRow>(k: K) => rows.map((r) => r[k]);
  await tx.$executeRaw`
    INSERT INTO file_view (file_id, account_id, file_name, bytes, mime_type, sha256, blob_key, items, format, purpose, task_id, created_at, models)
    SELECT * FROM unnest(${col('fileId')}::text[], ${col('accountId')}::text[], ${col('fileName')}::text[], ${col('bytes').map(String)}::text[]::bigint[],
      ${col('mimeType')}::text[], ${col('sha256')}::text[], ${col('blobKey')}::text[], ${col('items')}::int[], ${col('format')}::text[],
      ${col('purpose')}::text[], ${col('taskId')}::text[], ${col('createdAt')}::text[]::timestamptz[], ${col('models').map((m) => (m === null ? null : JSON.stringify(m)))}::text[]::jsonb[])
    ON CONFLICT (file_id) DO NOTHING`;
}


/** Files the owner deleted (FileDeleted): the first deletion stands. */
export async function markFilesDeleted(tx: RawSqlClient, deleted: readonly { fileId: string; at: string }[]): Promise<void> {
  if (deleted.length === 0) return;
  await tx.$executeRaw`
    UPDATE file_view f SET deleted_at = d.at
    FROM unnest(${deleted.map((d) => d.fileId)}::text[], ${deleted.map((d) => d.at)}::text[]::timestamptz[]) AS d(file_id, at)
    WHERE f.file_id = d.file_id AND f.deleted_at IS NULL`;
}

/** A file that exists and was not deleted. */
export async function findFile(db: RawSqlClient, fileId: string): Promise<FileRow | null> {
  const rows = await db.$queryRaw<FileRecord[]>`
    SELECT file_id, account_id, file_name, bytes, mime_type, sha256, blob_key, items, format, purpose, task_id, created_at, models
    FROM file_view WHERE file_id = ${fileId} AND deleted_at IS NULL`;
  return rows[0] ? toFileRow(rows[0]) : null;
}

export interface FileListQuery {
  purposes: readonly FileRow['purpose'][];
  /** A file id of the account: the page starts after it. */
  after?: string;
  limit: number;
  order: 'asc' | 'desc';
}

/**
 * A page of the account's files (not deleted), keyset on (created_at, file_id): a file stored
 * while a client pages is never shown twice nor makes another one skipped.
 */
export async function listFiles(db: RawSqlClient, accountId: string, query: FileListQuery): Promise<FileRow[]> {
  const desc = query.order === 'desc';
  const rows = await db.$queryRaw<FileRecord[]>`
    SELECT f.file_id, f.account_id, f.file_name, f.bytes, f.mime_type, f.sha256, f.blob_key, f.items, f.format, f.purpose, f.task_id, f.created_at, f.models
    FROM file_view f
    LEFT JOIN file_view c ON c.file_id = ${query.after ?? null} AND c.account_id = ${accountId}
    WHERE f.account_id = ${accountId} AND f.purpose = ANY(${query.purposes}::text[]) AND f.deleted_at IS NULL
      AND (${query.after ?? null}::text IS NULL
        OR (${desc} AND (f.created_at, f.file_id) < (c.created_at, c.file_id))
        OR (NOT ${desc} AND (f.created_at, f.file_id) > (c.created_at, c.file_id)))
    ORDER BY CASE WHEN ${desc} THEN f.created_at END DESC, CASE WHEN ${desc} THEN f.file_id END DESC, f.created_at, f.file_id
    LIMIT ${query.limit}`;
  return rows.map(toFileRow);
}

export async function outputFileOfTask(db: RawSqlClient, taskId: string): Promise<FileRow | null> {
  const rows = await db.$queryRaw<FileRecord[]>`
    SELECT file_id, account_id, file_name, bytes, mime_type, sha256, blob_key, items, format, purpose, task_id, created_at, models
    FROM file_view WHERE task_id = ${taskId} AND purpose = 'output' AND deleted_at IS NULL`;
  return rows[0] ? toFileRow(rows[0]) : null;
}

/** Every file row in key order (rebuild compares the live and the replayed read models). */
export async function snapshotFiles(db: RawSqlClient): Promise<FileRow[]> {
  const rows = await db.$queryRaw<FileRecord[]>`
    SELECT file_id, account_id, file_name, bytes, mime_type, sha256, blob_key, items, format, purpose, task_id, created_at, models
    FROM file_view ORDER BY file_id`;
  return rows.map(toFileRow);
}
