import { createHash } from 'node:crypto';
import type { BlobBody } from './blob-store.port';
import { BlobTooLargeError } from './blob-store.port';

/** Filled in while the body streams; final once the stream has ended. */
export interface MeterReading {
  bytes: number;
  sha256: string;
}

/**
 * The body as a stream of Buffers, counted and hashed on the way through. Passing more than
 * `maxBytes` throws BlobTooLargeError before the excess chunk goes further, so the adapter's
 * pipeline fails and cleans up. Pulls lazily: nothing is read ahead of what the sink takes.
 */
export function meterBody(body: BlobBody, maxBytes: number | undefined): { chunks: AsyncGenerator<Buffer>; reading: MeterReading } {
  const reading: MeterReading = { bytes: 0, sha256: '' };
  const hash = createHash('sha256');
  async function* chunks(): AsyncGenerator<Buffer> {
    for await (const chunk of asChunks(body)) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      if (buffer.length === 0) continue;
      reading.bytes += buffer.length;
      if (maxBytes !== undefined && reading.bytes > maxBytes) throw new BlobTooLargeError(maxBytes);
      hash.update(buffer);
      yield buffer;
    }
    reading.sha256 = hash.digest('hex');
  }
  return { chunks: chunks(), reading };
}

function asChunks(body: BlobBody): AsyncIterable<Uint8Array | string> {
  if (typeof body === 'string') return once(Buffer.from(body, 'utf8'));
  if (body instanceof Uint8Array) return once(body);
  return body as AsyncIterable<Uint8Array | string>;
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

export function assertValidMaxBytes(maxBytes: number | undefined): void {
  if (maxBytes !== undefined && (!Number.isSafeInteger(maxBytes) || maxBytes < 0)) {
    throw new RangeError(`maxBytes must be a non-negative integer, got ${maxBytes}`);
  }
}
