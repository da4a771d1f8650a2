import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';

export const MiB = 1024 * 1024;

export const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

/** A key no other test uses, so suites can share one folder or bucket. */
export const uniqueKey = (name = 'blob') => `files/acct-${randomUUID().slice(0, 8)}/${name}`;

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** Reads the stream through, keeping only its hash, length and largest chunk (nothing is held). */
export async function digest(stream: Readable): Promise<{ bytes: number; sha256: string; largestChunk: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  let largestChunk = 0;
  for await (const chunk of stream) {
    const buffer = chunk as Buffer;
    hash.update(buffer);
    bytes += buffer.length;
    largestChunk = Math.max(largestChunk, buffer.length);
  }
  return { bytes, sha256: hash.digest('hex'), largestChunk };
}

/**
 * A big body generated chunk by chunk (never whole in memory): one random block, each copy
 * stamped with its index so a lost, repeated or reordered chunk changes the hash. `byteAt`
 * recomputes any byte, to check range reads deep inside.
 */
export function generatedBody(totalBytes: number, chunkBytes = 256 * 1024) {
  const block = randomBytes(chunkBytes);
  const chunkAt = (index: number) => {
    const chunk = Buffer.from(block);
    chunk.writeUInt32BE(index, 0);
    return chunk;
  };
  const hash = createHash('sha256');
  const count = Math.ceil(totalBytes / chunkBytes);
  for (let i = 0; i < count; i++) hash.update(chunkAt(i).subarray(0, Math.min(chunkBytes, totalBytes - i * chunkBytes)));
  return {
    sha256: hash.digest('hex'),
    async *chunks(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < count; i++) yield chunkAt(i).subarray(0, Math.min(chunkBytes, totalBytes - i * chunkBytes));
    },
    slice(start: number, end: number): Buffer {
      const out = Buffer.alloc(end - start + 1);
      for (let p = start; p <= end; p++) out[p - start] = chunkAt(Math.floor(p / chunkBytes))[p % chunkBytes];
      return out;
    },
  };
}

/** Yields `chunks` chunks of `chunkBytes`, then fails the way a dropped upload connection does. */
export function failingSource(chunks: number, chunkBytes: number): Readable {
  async function* body(): AsyncGenerator<Buffer> {
    for (let i = 0; i < chunks; i++) yield Buffer.alloc(chunkBytes, i % 256);
    throw new Error('client connection reset');
  }
  return Readable.from(body(), { objectMode: false });
}

/** A body the test feeds by hand, to look at the store while a put is still running. */
export function manualSource() {
  const stream = new Readable({ read() {} });
  return { stream, push: (text: string) => stream.push(Buffer.from(text)), end: () => stream.push(null) };
}

export const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 50));
