import { Readable } from 'node:stream';
import { BlobNotFoundError, BlobRangeError, BlobTooLargeError, InvalidBlobKeyError, type BlobStore } from '../blob-store.port';
import { MiB, digest, failingSource, generatedBody, manualSource, readAll, sha256, tick, uniqueKey } from './contract-helpers';

export interface BlobStoreHarness {
  /** A store over the shared folder or bucket; the suite closes it. */
  create(): Promise<BlobStore> | BlobStore;
  /** Anything a failed put left behind (temp files, unfinished multipart uploads); [] when clean. */
  leftovers(): Promise<string[]>;
}

/**
 * The behaviour every BlobStore adapter must show, as a user of the port would notice it.
 * Run it from each adapter's spec: `describeBlobStoreContract('fs', harness)`.
 */
export function describeBlobStoreContract(name: string, harness: BlobStoreHarness): void {
  describe(`BlobStore contract: ${name}`, () => {
    jest.setTimeout(120_000);
    let store: BlobStore;
    beforeAll(async () => {
      store = await harness.create();
    });
    afterAll(() => store.close());

    describe('put, get, head', () => {
      it('stores a body and gives back the same bytes, its size, SHA-256 and content type', async () => {
        const key = uniqueKey('input.jsonl');
        const text = '{"custom_id":"a","body":{"prompt":"héllo"}}\n';
        const info = await store.put(key, text, { contentType: 'application/jsonl' });
        expect(info).toEqual({ key, bytes: Buffer.byteLength(text), sha256: sha256(text), contentType: 'application/jsonl' });
        expect((await readAll(await store.get(key))).toString('utf8')).toBe(text);
        expect(await store.head(key)).toEqual({ bytes: Buffer.byteLength(text), contentType: 'application/jsonl' });
      });

      it('takes a Node stream, an async iterable, bytes or an empty body alike', async () => {
        const parts = [Buffer.from('line one\n'), Buffer.from('line two\n')];
        const whole = Buffer.concat(parts);
        const bodies = {
          stream: Readable.from(parts),
          iterable: (async function* () {
            yield* parts.map((p) => new Uint8Array(p));
          })(),
          bytes: new Uint8Array(whole),
        };
        for (const [kind, body] of Object.entries(bodies)) {
          const key = uniqueKey(kind);
          expect(await store.put(key, body)).toMatchObject({ key, bytes: whole.length, sha256: sha256(whole) });
          expect(await readAll(await store.get(key))).toEqual(whole);
        }
        const empty = uniqueKey('empty');
        expect(await store.put(empty, '')).toMatchObject({ bytes: 0, sha256: sha256('') });
        expect(await readAll(await store.get(empty))).toEqual(Buffer.alloc(0));
        expect(await store.head(empty)).toMatchObject({ bytes: 0 });
      });

      it('overwrites a key with the new body and content type', async () => {
        const key = uniqueKey();
        await store.put(key, 'first version, longer than the second', { contentType: 'text/plain' });
        await store.put(key, 'second', { contentType: 'application/jsonl' });
        expect((await readAll(await store.get(key))).toString()).toBe('second');
        expect(await store.head(key)).toEqual({ bytes: 6, contentType: 'application/jsonl' });
      });

      it('keeps keys that share a prefix apart', async () => {
        const key = uniqueKey('out');
        await store.put(key, 'a');
        await store.put(`${key}-2`, 'bb');
        expect(await store.head(key)).toMatchObject({ bytes: 1 });
        expect(await store.head(`${key}-2`)).toMatchObject({ bytes: 2 });
      });
    });

    describe('range reads', () => {
      const text = '0123456789abcdefghij';
      let key: string;
      beforeAll(async () => {
        key = uniqueKey('ranged');
        await store.put(key, text);
      });
      const read = async (start: number, end?: number) => (await readAll(await store.get(key, { start, end }))).toString();

      it('returns the inclusive byte range asked for', async () => {
        expect(await read(0, 0)).toBe('0');
        expect(await read(3, 7)).toBe('34567');
        expect(await read(10)).toBe('abcdefghij');
        expect(await read(19, 19)).toBe('j');
      });

      it('stops at the last byte when the range runs past it', async () => {
        expect(await read(15, 1_000)).toBe('fghij');
      });

      it('refuses a range that starts past the end or ends before it starts', async () => {
        await expect(store.get(key, { start: 20 })).rejects.toBeInstanceOf(BlobRangeError);
        await expect(store.get(key, { start: 5, end: 4 })).rejects.toMatchObject({ code: 'range_not_satisfiable' });
        await expect(store.get(key, { start: -1 })).rejects.toBeInstanceOf(BlobRangeError);
      });
    });

    describe('absent keys', () => {
      it('get throws BlobNotFoundError, head gives null, delete is a no-op', async () => {
        const key = uniqueKey('never-written');
        await expect(store.get(key)).rejects.toBeInstanceOf(BlobNotFoundError);
        await expect(store.get(key, { start: 0, end: 10 })).rejects.toMatchObject({ code: 'blob_not_found', key });
        expect(await store.head(key)).toBeNull();
        await expect(store.delete(key)).resolves.toBeUndefined();
      });

      it('a deleted blob is gone', async () => {
        const key = uniqueKey();
        await store.put(key, 'short-lived', { contentType: 'text/plain' });
        await store.delete(key);
        expect(await store.head(key)).toBeNull();
        await expect(store.get(key)).rejects.toBeInstanceOf(BlobNotFoundError);
        await store.put(key, 'again');
        expect(await store.head(key)).toMatchObject({ bytes: 5 });
      });
    });

    describe('size limit', () => {
      it('accepts a body of exactly maxBytes', async () => {
        const key = uniqueKey();
        expect(await store.put(key, 'x'.repeat(100), { maxBytes: 100 })).toMatchObject({ bytes: 100 });
      });

      it('rejects a body past maxBytes with BlobTooLargeError and stores nothing', async () => {
        const key = uniqueKey();
        const source = Readable.from([Buffer.alloc(60), Buffer.alloc(60)]);
        const error = await store.put(key, source, { maxBytes: 100 }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(BlobTooLargeError);
        expect(error).toMatchObject({ code: 'file_too_large', maxBytes: 100 });
        expect(await store.head(key)).toBeNull();
        expect(source.destroyed).toBe(true);
        expect(await harness.leftovers()).toEqual([]);
      });

      it('rejects a multi-part upload that outgrows maxBytes midway, leaving no blob and no parts', async () => {
        const key = uniqueKey();
        const { chunks } = generatedBody(30 * MiB, MiB);
        await expect(store.put(key, chunks(), { maxBytes: 20 * MiB })).rejects.toBeInstanceOf(BlobTooLargeError);
        expect(await store.head(key)).toBeNull();
        expect(await harness.leftovers()).toEqual([]);
      });

      it('leaves the previous blob untouched when an overwrite is too large', async () => {
        const key = uniqueKey();
        await store.put(key, 'the original', { contentType: 'text/plain' });
        await expect(store.put(key, 'y'.repeat(50), { maxBytes: 10, contentType: 'text/csv' })).rejects.toBeInstanceOf(BlobTooLargeError);
        expect((await readAll(await store.get(key))).toString()).toBe('the original');
        expect(await store.head(key)).toEqual({ bytes: 12, contentType: 'text/plain' });
      });
    });

    describe('failed and unfinished uploads', () => {
      it('a body that fails midway rejects the put and leaves nothing behind', async () => {
        const key = uniqueKey();
        await expect(store.put(key, failingSource(3, 64 * 1024))).rejects.toThrow('client connection reset');
        expect(await store.head(key)).toBeNull();
        expect(await harness.leftovers()).toEqual([]);
      });

      it('a body that fails after several parts leaves no blob and no parts', async () => {
        const key = uniqueKey();
        await expect(store.put(key, failingSource(20, MiB))).rejects.toThrow('client connection reset');
        expect(await store.head(key)).toBeNull();
        expect(await harness.leftovers()).toEqual([]);
      });

      it('a body destroyed midway without an error (the client went away) rejects the put and leaves nothing', async () => {
        const key = uniqueKey();
        const source = manualSource();
        const put = store.put(key, source.stream);
        source.push('x'.repeat(100_000));
        await tick();
        source.stream.destroy();
        await expect(put).rejects.toThrow();
        expect(await store.head(key)).toBeNull();
        expect(await harness.leftovers()).toEqual([]);
      });

      it('a failed overwrite keeps the previous blob whole', async () => {
        const key = uniqueKey();
        await store.put(key, 'version one');
        await expect(store.put(key, failingSource(2, 1_000))).rejects.toThrow('client connection reset');
        expect((await readAll(await store.get(key))).toString()).toBe('version one');
      });

      it('a blob is invisible until its put completes', async () => {
        const key = uniqueKey();
        const source = manualSource();
        const put = store.put(key, source.stream);
        source.push('first half, ');
        await tick();
        expect(await store.head(key)).toBeNull();
        await expect(store.get(key)).rejects.toBeInstanceOf(BlobNotFoundError);
        source.push('second half');
        source.end();
        await put;
        expect((await readAll(await store.get(key))).toString()).toBe('first half, second half');
      });

      it('two concurrent puts to one key leave one of the two bodies whole', async () => {
        const key = uniqueKey();
        const a = 'a'.repeat(300_000);
        const b = 'b'.repeat(200_000);
        await Promise.all([store.put(key, Readable.from([a.slice(0, 150_000), a.slice(150_000)])), store.put(key, Readable.from([b]))]);
        const stored = (await readAll(await store.get(key))).toString();
        expect([a, b]).toContain(stored);
        expect(await harness.leftovers()).toEqual([]);
      });
    });

    describe('large blobs', () => {
      const size = 50 * MiB + 12_345;
      const body = generatedBody(size);
      let key: string;
      beforeAll(async () => {
        key = uniqueKey('large.jsonl');
      });

      it('streams a ~50 MB body in and out with the right size and SHA-256', async () => {
        const info = await store.put(key, body.chunks(), { contentType: 'application/jsonl' });
        expect(info).toMatchObject({ bytes: size, sha256: body.sha256 });
        expect(await store.head(key)).toEqual({ bytes: size, contentType: 'application/jsonl' });
        const read = await digest(await store.get(key));
        expect(read).toMatchObject({ bytes: size, sha256: body.sha256 });
        // Served piece by piece, not as one buffer of the whole blob.
        expect(read.largestChunk).toBeLessThanOrEqual(MiB);
      });

      it('serves ranges deep inside a large blob, including its tail', async () => {
        const start = 33 * MiB + 7;
        expect(await readAll(await store.get(key, { start, end: start + 999 }))).toEqual(body.slice(start, start + 999));
        expect(await readAll(await store.get(key, { start: size - 10 }))).toEqual(body.slice(size - 10, size - 1));
      });
    });

    describe('keys', () => {
      const bad = ['', '/files/a', '../escape', 'files/../../etc/passwd', 'files//a', 'files/./a', 'files/a/', '.hidden', 'files/.a', 'files\\a', 'files/a b', 'files/ä'];

      it.each(bad)('rejects %j on every operation and stores nothing', async (key) => {
        await expect(store.put(key, 'x')).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.get(key)).rejects.toMatchObject({ code: 'invalid_blob_key' });
        await expect(store.head(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.delete(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
      });

      it('accepts the keys the services use', async () => {
        for (const key of ['files/acct_01J9Z/file-abc123', 'outputs/acct@x/task=42/output.jsonl', 'a']) {
          await store.put(key, key);
          expect((await readAll(await store.get(key))).toString()).toBe(key);
        }
      });
    });
  });
}
