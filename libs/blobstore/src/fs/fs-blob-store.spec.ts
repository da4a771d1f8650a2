import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobNotFoundError } from '../blob-store.port';
import { createBlobStore } from '../create-blob-store';
import { readAll } from '../contract/contract-helpers';

describe('fs blob store', () => {
  let parent: string;
  let dir: string;
  beforeEach(() => {
    parent = mkdtempSync(join(tmpdir(), 'sluice-blobstore-fs-'));
    dir = join(parent, 'blobs');
  });
  afterEach(() => rmSync(parent, { recursive: true, force: true }));

  it('keeps each blob as a plain file at its key under the folder, creating folders as needed', async () => {
    const store = createBlobStore({ kind: 'fs', dir });
    await store.put('files/acct-1/file-1', 'hello file', { contentType: 'application/jsonl' });
    expect(readFileSync(join(dir, 'files', 'acct-1', 'file-1'), 'utf8')).toBe('hello file');
    // Only the blob and its content-type sidecar: no temp file survives a put.
    expect(readdirSync(join(dir, 'files', 'acct-1')).sort()).toEqual(['.file-1.meta.json', 'file-1']);
  });

  it('never writes outside its folder, whatever the key', async () => {
    const store = createBlobStore({ kind: 'fs', dir });
    for (const key of ['../outside', 'files/../../outside', '/tmp/outside']) await expect(store.put(key, 'x')).rejects.toThrow();
    expect(readdirSync(parent)).toEqual([]);
  });

  it('a blob written by one store is read by another over the same folder (a restart)', async () => {
    await createBlobStore({ kind: 'fs', dir }).put('files/a/b', 'durable', { contentType: 'text/plain' });
    const reopened = createBlobStore({ kind: 'fs', dir });
    expect(await reopened.head('files/a/b')).toEqual({ bytes: 7, contentType: 'text/plain' });
    expect((await readAll(await reopened.get('files/a/b'))).toString()).toBe('durable');
  });

  it('treats a folder on the key path as no blob', async () => {
    const store = createBlobStore({ kind: 'fs', dir });
    await store.put('files/acct/file', 'x');
    expect(await store.head('files/acct')).toBeNull();
    await expect(store.get('files/acct')).rejects.toBeInstanceOf(BlobNotFoundError);
    await store.delete('files/acct');
    expect(existsSync(join(dir, 'files', 'acct', 'file'))).toBe(true);
    expect(await store.head('files/acct/file/deeper')).toBeNull();
  });

  it('drops the old content type when an overwrite gives none', async () => {
    const store = createBlobStore({ kind: 'fs', dir });
    await store.put('files/a/b', 'one', { contentType: 'text/plain' });
    await store.put('files/a/b', 'two');
    expect(await store.head('files/a/b')).toEqual({ bytes: 3 });
    await store.delete('files/a/b');
    expect(readdirSync(join(dir, 'files', 'a'))).toEqual([]);
  });
});
