import { resolve } from 'node:path';
import { BlobStoreEnv, blobStoreConfigFromEnv } from './blob-store.env';

describe('blob store configuration from the environment', () => {
  it('defaults to a folder in the working directory', () => {
    expect(blobStoreConfigFromEnv({})).toEqual({ kind: 'fs', dir: resolve('.sluice/blobs') });
    expect(blobStoreConfigFromEnv({ BLOB_STORE: 'fs', BLOB_DIR: '/data/blobs' })).toEqual({ kind: 'fs', dir: '/data/blobs' });
  });

  it('reads every S3 setting', () => {
    const env = {
      BLOB_STORE: 's3',
      S3_BUCKET: 'sluice-files',
      S3_REGION: 'eu-west-3',
      S3_ENDPOINT: 'http://minio.storage:9000',
      S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: 'AKIA0',
      AWS_SECRET_ACCESS_KEY: 'secret',
      S3_PREFIX: 'prod',
    };
    expect(blobStoreConfigFromEnv(env)).toEqual({
      kind: 's3',
      bucket: 'sluice-files',
      region: 'eu-west-3',
      endpoint: 'http://minio.storage:9000',
      forcePathStyle: true,
      accessKeyId: 'AKIA0',
      secretAccessKey: 'secret',
      prefix: 'prod',
    });
  });

  it('on AWS needs only the bucket: region us-east-1, virtual-hosted style, default credential chain', () => {
    expect(blobStoreConfigFromEnv({ BLOB_STORE: 's3', S3_BUCKET: 'sluice-files', S3_ENDPOINT: '', S3_PREFIX: '' })).toEqual({
      kind: 's3',
      bucket: 'sluice-files',
      region: 'us-east-1',
      forcePathStyle: false,
    });
  });

  it('names every bad variable in one error', () => {
    const attempt = () => blobStoreConfigFromEnv({ BLOB_STORE: 's3', S3_ENDPOINT: 'ftp://x', AWS_ACCESS_KEY_ID: 'only-half' });
    expect(attempt).toThrow(/S3_BUCKET: missing \(required when BLOB_STORE=s3\)/);
    expect(attempt).toThrow(/S3_ENDPOINT: bad value/);
    expect(attempt).toThrow(/AWS_SECRET_ACCESS_KEY: missing/);
    expect(() => blobStoreConfigFromEnv({ S3_FORCE_PATH_STYLE: 'maybe' })).toThrow(/S3_FORCE_PATH_STYLE: bad value/);
  });

  it('refuses an unknown store kind and a bucket name S3 would refuse', () => {
    expect(() => blobStoreConfigFromEnv({ BLOB_STORE: 'gcs' })).toThrow(/BLOB_STORE: bad value/);
    expect(() => blobStoreConfigFromEnv({ BLOB_STORE: 's3', S3_BUCKET: 'Upper_Case' })).toThrow(/S3_BUCKET: bad value/);
  });

  it('lets the other variables of a service env through', () => {
    expect(BlobStoreEnv.parse({ KAFKA_BROKERS: 'k:9092' })).toMatchObject({ KAFKA_BROKERS: 'k:9092', BLOB_STORE: 'fs' });
  });
});
