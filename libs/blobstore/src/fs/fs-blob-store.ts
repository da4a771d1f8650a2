import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  BlobNotFoundError,
  BlobRangeError,
  type BlobBody,
  type BlobInfo,
  type BlobStore,
  type ByteRange,
  type PutOptions,
} from '../blob-store.port';
import { assertValidKey, assertValidRange } from '../keys';
import { assertValidMaxBytes, meterBody } from '../meter';

/**
 * Blobs as plain files under one folder (the embedded mode, or a shared volume): the key is
 * the relative path. A put streams into a dot-named temp file beside the target, fsyncs it
 * and renames it over the target, so readers see the old blob or the whole new one. The
 * content type, when given, lives in a dot-named sidecar (`.<name>.meta.json`); keys cannot
 * start a segment with a dot, so neither can collide with a blob.
 */
export class FsBlobStore implements BlobStore {
  private readonly root: string;

  constructor(dir: string) {
    this.root = resolve(dir);
  }

  async put(key: string, body: BlobBody, options: PutOptions = {}): Promise<BlobInfo> {
    const path = this.pathOf(key);
    assertValidMaxBytes(options.maxBytes);
    const dir = dirname(path);
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.partial`);
    const metaTmp = `${tmp}.meta`;
    const { chunks, reading } = meterBody(body, options.maxBytes);
    // Opened before streaming, so a failure can only be handled once the file exists (a stream
    // that opens lazily could create it after the cleanup below).
    const out = (await open(tmp, 'wx')).createWriteStream({ flush: true });
    try {
      await pipeline(chunks, out);
      const metaPath = sidecarOf(path);
      // The sidecar is swapped first: a crash between the two renames can leave the new
      // content type beside the old bytes, never a blob without its bytes.
      if (options.contentType !== undefined) {
        await writeFileSynced(metaTmp, JSON.stringify({ contentType: options.contentType }));
        await rename(metaTmp, metaPath);
      } else {
        await rm(metaPath, { force: true });
      }
      await rename(tmp, path);
      await fsyncDir(dir);
    } catch (err) {
      // Not events.once: it rejects on the 'error' the failed pipeline leaves on the stream.
      if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()));
      await Promise.all([rm(tmp, { force: true }), rm(metaTmp, { force: true })]);
      throw err;
    }
    return { key, bytes: reading.bytes, sha256: reading.sha256, ...(options.contentType !== undefined ? { contentType: options.contentType } : {}) };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const path = this.pathOf(key);
    if (range) assertValidRange(key, range);
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      throw isAbsent(err) ? new BlobNotFoundError(key) : err;
    }
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) throw new BlobNotFoundError(key);
      const size = stats.size;
      if (!range) return handle.createReadStream();
      if (range.start >= size) throw new BlobRangeError(key, range, size);
      return handle.createReadStream({ start: range.start, end: Math.min(range.end ?? size - 1, size - 1) });
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async head(key: string): Promise<{ bytes: number; contentType?: string } | null> {
    const path = this.pathOf(key);
    let bytes: number;
    try {
      const stats = await stat(path);
      if (!stats.isFile()) return null;
      bytes = stats.size;
    } catch (err) {
      if (isAbsent(err)) return null;
      throw err;
    }
    const contentType = await readContentType(sidecarOf(path));
    return contentType === undefined ? { bytes } : { bytes, contentType };
  }

  async delete(key: string): Promise<void> {
    const path = this.pathOf(key);
    try {
      if ((await stat(path)).isDirectory()) return;
    } catch (err) {
      if (isAbsent(err)) return;
      throw err;
    }
    await rm(path, { force: true });
    await rm(sidecarOf(path), { force: true });
  }

  async close(): Promise<void> {
    // Nothing is held open between calls; streams returned by get close themselves.
  }

  private pathOf(key: string): string {
    assertValidKey(key);
    const path = join(this.root, ...key.split('/'));
    // assertValidKey already rules out escapes; this keeps the guarantee local and obvious.
    if (!path.startsWith(this.root + sep)) throw new Error(`blob key ${key} resolves outside ${this.root}`);
    return path;
  }
}

function sidecarOf(path: string): string {
  return join(dirname(path), `.${basename(path)}.meta.json`);
}

async function readContentType(metaPath: string): Promise<string | undefined> {
  try {
    const meta = JSON.parse(await readFile(metaPath, 'utf8')) as { contentType?: unknown };
    return typeof meta.contentType === 'string' ? meta.contentType : undefined;
  } catch (err) {
    if (isAbsent(err)) return undefined;
    throw err;
  }
}

async function writeFileSynced(path: string, data: string): Promise<void> {
  await writeFile(path, data, { flag: 'wx', flush: true });
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** ENOENT, or ENOTDIR when a key runs through what is a blob (`a` stored, `a/b` asked for). */
function isAbsent(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
