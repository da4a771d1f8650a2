import type { RawSqlClient } from '@sluice/persistence';
import type { FileRow } from './file.projection';

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
});

/** Files never change: the first write of a row (the upload's own, or the projection's) stands. */
export async function saveFiles(tx: RawSqlClient, rows: readonly FileRow[]): Promise<void> {
  if (rows.length === 0) return;
  const col = <K extends keyof FileRow>(k: K) => rows.map((r) => r[k]);
  await tx.$executeRaw`
    INSERT INTO file_view (file_id, account_id, file_name, bytes, mime_type, sha256, blob_key, items, format, purpose, task_id, created_at)
    SELECT * FROM unnest(${col('fileId')}::text[], ${col('accountId')}::text[], ${col('fileName')}::text[], ${col('bytes').map(String)}::text[]::bigint[],
      ${col('mimeType')}::text[], ${col('sha256')}::text[], ${col('blobKey')}::text[], ${col('items')}::int[], ${col('format')}::text[],
      ${col('purpose')}::text[], ${col('taskId')}::text[], ${col('createdAt')}::text[]::timestamptz[])
    ON CONFLICT (file_id) DO NOTHING`;
}


export async function findFile(db: RawSqlClient, fileId: string): Promise<FileRow | null> {
  const rows = await db.$queryRaw<FileRecord[]>`
    SELECT file_id, account_id, file_name, bytes, mime_type, sha256, blob_key, items, format, purpose, task_id, created_at
    FROM file_view WHERE file_id = ${fileId}`;
  return rows[0] ? toFileRow(rows[0]) : null;
}

export async function outputFileOfTask(db: RawSqlClient, taskId: string): Promise<FileRow | null> {
  const rows = await db.$queryRaw<FileRecord[]>`
    SELECT file_id, account_id, file_name, bytes, mime_type, sha256, blob_key, items, format, purpose, task_id, created_at
    FROM file_view WHERE task_id = ${taskId} AND purpose = 'output'`;
  return rows[0] ? toFileRow(rows[0]) : null;
}

/** Every file row in key order (rebuild compares the live and the replayed read models). */
export async function snapshotFiles(db: RawSqlClient): Promise<FileRow[]> {
  const rows = await db.$queryRaw<FileRecord[]>`
    SELECT file_id, account_id, file_name, bytes, mime_type, sha256, blob_key, items, format, purpose, task_id, created_at
    FROM file_view ORDER BY file_id`;
  return rows.map(toFileRow);
}
