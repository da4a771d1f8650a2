import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeBlobStoreContract } from '../contract/blob-store.contract';
import { FsBlobStore } from './fs-blob-store';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-blobstore-contract-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeBlobStoreContract('fs', {
  create: () => new FsBlobStore(dir),
  leftovers: async () => partialFiles(dir),
});

/** Temp files of unfinished puts, anywhere under the folder. */
function partialFiles(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((path) => /\.partial(\.meta)?$/.test(path));
}
