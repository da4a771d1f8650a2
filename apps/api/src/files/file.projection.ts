import type { EventOf, SluiceEvent } from '@sluice/events';

/** One file as the API's read model keeps it: an upload, or a task's output (or an OpenAI batch's error file). */
export interface FileRow {
  fileId: string;
  accountId: string;
  fileName: string;
  bytes: number;
  mimeType: string;
  sha256: string;
  blobKey: string;
  items: number;
  format: string | null;
  purpose: 'input' | 'output' | 'error';
  taskId: string | null;
  createdAt: string;
  /** An upload's lines per model it names (FileStored's `models`); null when not tallied, and for results. */
  models: FileModels | null;
}

export type FileModels = NonNullable<EventOf<'FileStored'>['payload']['models']>;

export type FileEvent = EventOf<'FileStored' | 'TaskOutputReady'>;

export const isFileEvent = (event: SluiceEvent): event is FileEvent => event.type === 'FileStored' || event.type === 'TaskOutputReady';

/** The rows a file event describes (pure; a file never changes once stored): an OpenAI batch's output comes with its error file. */
export function fileRowsOf(event: FileEvent): FileRow[] {
  if (event.type === 'FileStored') return [fileRowOf(event)];
  const { errorFile, taskId, accountId } = event.payload;
  const output = fileRowOf(event);
  if (!errorFile) return [output];
  const { fileId, fileName, bytes, sha256, blobKey, lines } = errorFile;
  return [output, { fileId, accountId, fileName, bytes, sha256, blobKey, createdAt: event.occurredAt, mimeType: 'application/jsonl', items: lines, format: null, purpose: 'error', taskId, models: null }];
}

/** The row a file event describes (pure): the upload, or the task's output file. */
export function fileRowOf(event: FileEvent): FileRow {
  const { fileId, accountId, fileName, bytes, sha256, blobKey } = event.payload;
  const common = { fileId, accountId, fileName, bytes, sha256, blobKey, createdAt: event.occurredAt };
  if (event.type === 'FileStored') {
    const p = event.payload;
    return { ...common, mimeType: p.mimeType, items: p.items, format: p.format, purpose: 'input', taskId: null, models: p.models ?? null };
  }
  return { ...common, mimeType: 'application/jsonl', items: event.payload.lines, format: null, purpose: 'output', taskId: event.payload.taskId, models: null };
}

/** PUT and GET /v0/files/…: the seed's four fields, then ours. */
export function fileView(row: FileRow) {
  return {
    file_id: row.fileId,
    file_name: row.fileName,
    bytes: row.bytes,
    mime_type: row.mimeType,
    sha256: row.sha256,
    items: row.items,
    format: row.format,
    purpose: row.purpose,
    created_at: row.createdAt,
  };
}
