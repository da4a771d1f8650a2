import { ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { BlobNotFoundError } from '../blob-store.port';
import { createBlobStore, type BlobStoreConfig } from '../create-blob-store';
import { describeBlobStoreContract } from '../contract/blob-store.contract';
import { readAll } from '../contract/contract-helpers';

/** The S3 server the integration global setup started (libs/testing; not imported: infra must not depend on testing). */
function testS3Config(): Extract<BlobStoreConfig, { kind: 's3' }> {
  const endpoint = process.env.SLUICE_TEST_S3_ENDPOINT;
  if (!endpoint) throw new Error('SLUICE_TEST_S3_ENDPOINT is not set: run with `npx jest <path> --selectProjects integration`');
  const bucket = `blobstore-${randomUUID().slice(0, 8)}`;
  return { kind: 's3', bucket, region: 'us-east-1', endpoint, forcePathStyle: true, accessKeyId: 'sluice-test', secretAccessKey: 'sluice-test' };
}

function rawClient(config: Extract<BlobStoreConfig, { kind: 's3' }>): S3Client {
  return new S3Client({
    region: config.region,
    endpoint: config.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: config.accessKeyId!, secretAccessKey: config.secretAccessKey! },
  });
}

const shared = testS3Config();
const raw = rawClient(shared);
afterAll(() => raw.destroy());

describeBlobStoreContract('s3', {
  create: () => createBlobStore(shared),
  leftovers: async () => {
    const { Uploads = [] } = await raw.send(new ListMultipartUploadsCommand({ Bucket: shared.bucket }));
    return Uploads.map((upload) => `multipart upload of ${upload.Key}`);
  },
});

describe('S3 blob store', () => {
  it('reads nothing from a bucket that does not exist yet, and creates it on the first put', async () => {
    const config = testS3Config();
    const store = createBlobStore(config);
    try {
      expect(await store.head('files/a/b')).toBeNull();
      await expect(store.get('files/a/b')).rejects.toBeInstanceOf(BlobNotFoundError);
      await store.delete('files/a/b');
      await store.put('files/a/b', 'first blob');
      const listed = await raw.send(new ListObjectsV2Command({ Bucket: config.bucket }));
      expect(listed.Contents?.map((object) => object.Key)).toEqual(['files/a/b']);
    } finally {
      await store.close();
    }
  });

  it('two stores on one bucket with different prefixes keep their blobs apart', async () => {
    const config = testS3Config();
    const staging = createBlobStore({ ...config, prefix: 'staging' });
    const prod = createBlobStore({ ...config, prefix: '/prod/' });
    try {
      await Promise.all([staging.put('files/acct/f1', 'staging data'), prod.put('files/acct/f1', 'prod data')]);
      expect((await readAll(await staging.get('files/acct/f1'))).toString()).toBe('staging data');
      expect((await readAll(await prod.get('files/acct/f1'))).toString()).toBe('prod data');
      const listed = await raw.send(new ListObjectsV2Command({ Bucket: config.bucket }));
      expect(listed.Contents?.map((object) => object.Key).sort()).toEqual(['prod/files/acct/f1', 'staging/files/acct/f1']);
      await prod.delete('files/acct/f1');
      expect(await staging.head('files/acct/f1')).toMatchObject({ bytes: 12 });
    } finally {
      await Promise.all([staging.close(), prod.close()]);
    }
  });
});
