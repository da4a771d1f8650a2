import { Inject, Injectable } from '@nestjs/common';
import { BlobTooLargeError } from '@sluice/blobstore';
import { describeDuplicate, FileScanner } from '@sluice/batch-formats';
import { createEvent, FileDeleted, FileStored, timeOrderedId } from '@sluice/events';
import type { RawSqlClient } from '@sluice/persistence';
import { EventStore, SERVICE_RUNTIME, SQL, type ServiceRuntime } from '@sluice/platform';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Transform, type Readable } from 'node:stream';
import { NotFoundError, RequestError } from '../errors/api-error';
import { fileRowOf, type FileRow } from './file.projection';
import { findFile, listFiles, markFilesDeleted, saveFiles, type FileListQuery } from './file-view.store';
import { pipeReporting, uploadSource } from './upload-source';

/** Uploads beyond this are refused with 413 `file_too_large` unless the operator sets SLUICE_MAX_UPLOAD_BYTES. */
export const DEFAULT_MAX_UPLOAD_BYTES = 1024 * 1024 * 1024;
const JSONL_NAME = /\.(jsonl|ndjson|jsonlines)$/i;
// Not `.` or `..`: names that mean folders wherever the file is saved.
const FILE_NAME = /^(?!\.\.?$)[^/\\\u0000-\u001f]{1,255}$/;

const tooLarge = (maxBytes: number) => new RequestError(413, 'file_too_large', `the file is larger than the limit of ${maxBytes} bytes`);
const blobKeyOf = (accountId: string, fileId: string) => `files/${accountId}/${fileId}`;

/**
 * PUT /v0/files/{name}: streams the body into the blob store while a scanner counts its lines,
 * detects the line format, looks for a duplicate key and tallies the lines per model; then records the file and announces
 * FileStored in one transaction. Nothing is kept of a refused upload.
 */
@Injectable()
export class FilesService {
  constructor(
    private readonly eventStore: EventStore,
    @Inject(SQL) private readonly db: RawSqlClient,
    @Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime,
  ) {}

  /**
   * `accept` sees the multipart form's other fields once the whole body is read (they may follow
   * the file part) and throws to refuse the upload, which then keeps nothing.
   */
  async upload(accountId: string, pathName: string | null, request: IncomingMessage, accept?: (fields: Readonly<Record<string, string>>) => void): Promise<FileRow> {
    const maxBytes = this.runtime.http?.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
    // A raw body that announces its size is refused before any of it is read.
    const declared = Number(request.headers['content-length']);
    if (!String(request.headers['content-type'] ?? '').startsWith('multipart/') && declared > maxBytes) throw tooLarge(maxBytes);
    const source = await uploadSource(request);
    const fileName = (pathName ?? source.fileName ?? '').trim();
    if (!FILE_NAME.test(fileName)) {
      source.stream.resume();
      throw new RequestError(400, 'invalid_file_name', 'name the file in the path (PUT /v0/files/data.jsonl) or in the multipart part: 1 to 255 characters, no slashes, not . or ..');
    }
    const fileId = randomUUID();
    const blobKey = blobKeyOf(accountId, fileId);
    const scanner = new FileScanner();
    const tap = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        scanner.write(chunk);
        done(null, chunk);
      },
    });
    const mimeType = JSONL_NAME.test(fileName) ? 'application/jsonl' : (source.mimeType ?? 'application/octet-stream');
    let stored;
    try {
      // A broken body (a multipart form cut short: 400 invalid_multipart) fails the put, which
      // leaves no blob behind.
      stored = await this.runtime.blobs.put(blobKey, pipeReporting(source.stream, tap), { contentType: mimeType, maxBytes });
    } catch (err) {
      source.stream.unpipe(tap);
      source.stream.resume();
      if (err instanceof BlobTooLargeError) throw tooLarge(maxBytes);
      // The body's own failure, whatever the blob store made of it (S3's upload may wrap it).
      if (source.stream.errored instanceof RequestError) throw source.stream.errored;
      throw err;
    }
    const scan = scanner.end();
    const refuse = async (code: string, message: string) => {
      await this.runtime.blobs.delete(blobKey);
      return new RequestError(422, code, message);
    };
    try {
      accept?.(source.fields);
    } catch (err) {
      await this.runtime.blobs.delete(blobKey);
      throw err;
    }
    if (scan.duplicate) throw await refuse('duplicate_key', describeDuplicate(scan.duplicate, scan.format ?? 'sluice'));
    if (scan.items === 0) throw await refuse('empty_file', 'the file holds no lines: one JSON request per line');

    const event = createEvent(
      FileStored,
      { fileId, accountId, fileName, bytes: stored.bytes, mimeType, sha256: stored.sha256, blobKey, items: scan.items, format: scan.format, ...(scan.models && { models: scan.models }) },
      { correlationId: fileId },
      { now: () => this.runtime.clock.now(), newId: timeOrderedId },
    );
    const row = fileRowOf(event);
    await this.eventStore.transact(async (tx) => {
      await saveFiles(tx, [row]);
      return { result: undefined, events: [event] };
    });
    return row;
  }

  /** The account's own file (another account's is 404, as for tasks). */
  async file(accountId: string, fileId: string): Promise<FileRow> {
    const row = await findFile(this.db, fileId);
    if (!row || row.accountId !== accountId) throw new NotFoundError('file', fileId);
    return row;
  }

  /** The account's files (not deleted), newest first unless asked otherwise; `after` must be one of them. */
  async list(accountId: string, query: Omit<FileListQuery, 'purposes'> & { purposes?: FileListQuery['purposes'] }): Promise<{ rows: FileRow[]; hasMore: boolean }> {
    if (query.after) await this.file(accountId, query.after);
    const rows = await listFiles(this.db, accountId, { purposes: query.purposes ?? ['input', 'output', 'error'], after: query.after, limit: query.limit + 1, order: query.order });
    return { rows: rows.slice(0, query.limit), hasMore: rows.length > query.limit };
  }

  /**
   * Deletes the account's file: from now on GET answers 404 and no new task may use it (the row
   * is marked with FileDeleted, read-your-writes). Tasks already submitted on it go on; the
   * blob is kept for them.
   */
  async delete(accountId: string, fileId: string): Promise<FileRow> {
    const row = await this.file(accountId, fileId);
    const event = createEvent(FileDeleted, { fileId, accountId }, { correlationId: fileId }, { now: () => this.runtime.clock.now(), newId: timeOrderedId });
    await this.eventStore.transact(async (tx) => {
      await markFilesDeleted(tx, [{ fileId, at: event.occurredAt }]);
      return { result: undefined, events: [event] };
    });
    return row;
  }

  async content(accountId: string, fileId: string): Promise<{ row: FileRow; stream: Readable }> {
    const row = await this.file(accountId, fileId);
    return { row, stream: await this.runtime.blobs.get(row.blobKey) };
  }
}
