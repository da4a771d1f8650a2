import type { Readable } from 'node:stream';

/** What a completed put stored: size and SHA-256 are computed while the body streams through. */
export interface BlobInfo {
  key: string;
  bytes: number;
  /** Lower-case hex. */
  sha256: string;
  contentType?: string;
}

export interface PutOptions {
  contentType?: string;
  /** Reject beyond this many bytes; nothing is left behind. */
  maxBytes?: number;
}

/** Anything a caller may hand to put; strings are stored as UTF-8. */
export type BlobBody = NodeJS.ReadableStream | AsyncIterable<Uint8Array> | Uint8Array | string;

/** Inclusive byte range; `end` defaults to the last byte and is clamped to it. */
export interface ByteRange {
  start: number;
  end?: number;
}

export interface BlobStore {
  /**
   * Streams body to `key`. The blob becomes visible only once complete (no half-written blob,
   * also on error/abort). Returns size + sha256 computed while streaming. Overwrites an existing key.
   */
  put(key: string, body: BlobBody, options?: PutOptions): Promise<BlobInfo>;
  /** Streams the blob (optionally a byte range start..end inclusive). Throws BlobNotFoundError. */
  get(key: string, range?: ByteRange): Promise<Readable>;
  /** Size (and content type) or null when absent. */
  head(key: string): Promise<{ bytes: number; contentType?: string } | null>;
  /** Removes the blob; deleting an absent key is not an error. */
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}

export class BlobNotFoundError extends Error {
  override readonly name = 'BlobNotFoundError';
  readonly code = 'blob_not_found';
  constructor(readonly key: string) {
    super(`no blob at ${key}`);
  }
}

export class BlobTooLargeError extends Error {
  override readonly name = 'BlobTooLargeError';
  readonly code = 'file_too_large';
  constructor(readonly maxBytes: number) {
    super(`the upload is larger than ${maxBytes} bytes`);
  }
}

/** A key that could escape the store's folder or that no adapter stores the same way. */
export class InvalidBlobKeyError extends Error {
  override readonly name = 'InvalidBlobKeyError';
  readonly code = 'invalid_blob_key';
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`invalid blob key ${JSON.stringify(key)}: ${reason}`);
  }
}

/** A range that starts at or past the end of the blob, or ends before it starts. */
export class BlobRangeError extends Error {
  override readonly name = 'BlobRangeError';
  readonly code = 'range_not_satisfiable';
  constructor(
    readonly key: string,
    readonly range: ByteRange,
    readonly bytes?: number,
  ) {
    super(`range ${range.start}-${range.end ?? ''} of ${key} is not satisfiable${bytes === undefined ? '' : ` (${bytes} bytes)`}`);
  }
}
