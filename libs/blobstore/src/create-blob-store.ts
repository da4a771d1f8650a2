import type { BlobStore } from './blob-store.port';
import { FsBlobStore } from './fs/fs-blob-store';

/** Where blobs live; plain data so a child process or a pod can be handed the same store. */
export type BlobStoreConfig =
  | { kind: 'fs'; dir: string }
  | {
      kind: 's3';
      bucket: string;
      region: string;
      endpoint?: string;
      forcePathStyle?: boolean;
      accessKeyId?: string;
      secretAccessKey?: string;
      prefix?: string;
    };

/** Opens the store; the S3 adapter (and the AWS SDK) is loaded only when asked for. */
export function createBlobStore(config: BlobStoreConfig): BlobStore {
  switch (config.kind) {
    case 'fs':
      return new FsBlobStore(config.dir);
    case 's3': {
      const { S3BlobStore } = require('./s3/s3-blob-store') as typeof import('./s3/s3-blob-store');
      return new S3BlobStore(config);
    }
    default: {
      const never: never = config;
      throw new Error(`unknown blob store kind ${JSON.stringify(never)}`);
    }
  }
}
