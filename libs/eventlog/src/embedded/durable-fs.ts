import { closeSync, fdatasync, fsyncSync, openSync, readSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';

const fdatasyncAsync = promisify(fdatasync);

/** Makes a file creation or rename in `dir` survive a crash (the entry lives in the directory). */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Replaces `path` atomically: a crash leaves either the old or the new content, never a mix. */
export function writeFileDurably(path: string, data: Buffer | string): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeFileSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  fsyncDir(dirname(path));
}

export function readFully(fd: number, into: Buffer, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, into, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

export function closeQuietly(fd: number | null): void {
  if (fd === null) return;
  try {
    closeSync(fd);
  } catch {
    // already closed: nothing left to release
  }
}

/**
 * Writes all of `bytes` at `position` and waits for fdatasync. The write is synchronous on
 * purpose (it is a page-cache copy); only the sync goes to libuv's thread pool.
 */
export async function writeAllAndSync(fd: number, bytes: Buffer, position: number): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written, position + written);
  await fdatasyncAsync(fd);
}
