import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  S3Client,
  type BucketLocationConstraint,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';
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

export interface S3BlobStoreOptions {
  bucket: string;
  region: string;
  /** An S3-compatible server (MinIO, Ceph, a test server); AWS when absent. */
  endpoint?: string;
  forcePathStyle?: boolean;
  /** Static credentials; otherwise the SDK's default chain (env, web identity on Kubernetes, ...). */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Prepended to every key, e.g. `sluice/prod`, so one bucket can serve several deployments. */
  prefix?: string;
  /** Part size of multipart uploads; memory held per upload is about partSize × queueSize. */
  partSize?: number;
  queueSize?: number;
}

const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
const DEFAULT_QUEUE_SIZE = 4;

/**
 * Blobs in an S3 bucket. put streams through lib-storage's Upload: bodies up to one part go
 * up as one PutObject, larger ones as a multipart upload that only becomes an object at
 * CompleteMultipartUpload, and is aborted (its parts deleted) when the body fails or grows
 * past maxBytes. Memory stays bounded by partSize × queueSize whatever the blob's size.
 */
export class S3BlobStore implements BlobStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly region: string;
  private readonly prefix: string;
  private readonly partSize: number;
  private readonly queueSize: number;
  private bucketReady: Promise<void> | null = null;

  constructor(options: S3BlobStoreOptions) {
    this.bucket = options.bucket;
    this.region = options.region;
    this.prefix = normalizePrefix(options.prefix);
    this.partSize = options.partSize ?? DEFAULT_PART_SIZE;
    this.queueSize = options.queueSize ?? DEFAULT_QUEUE_SIZE;
    const credentials =
      options.accessKeyId && options.secretAccessKey ? { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey } : undefined;
    this.client = new S3Client({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      forcePathStyle: options.forcePathStyle ?? false,
      ...(credentials ? { credentials } : {}),
    });
  }

  async put(key: string, body: BlobBody, options: PutOptions = {}): Promise<BlobInfo> {
    const objectKey = this.objectKey(key);
    assertValidMaxBytes(options.maxBytes);
    await this.ensureBucket();
    const { chunks, reading } = meterBody(body, options.maxBytes);
    const source = Readable.from(chunks, { objectMode: false });
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key: objectKey,
        Body: source,
        ...(options.contentType !== undefined ? { ContentType: options.contentType } : {}),
      },
      partSize: this.partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (err) {
      // Upload stops reading when a request fails; release the caller's stream too.
      source.destroy();
      throw err;
    }
    return { key, bytes: reading.bytes, sha256: reading.sha256, ...(options.contentType !== undefined ? { contentType: options.contentType } : {}) };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const objectKey = this.objectKey(key);
    if (range) assertValidRange(key, range);
    try {
      const response = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: objectKey,
          ...(range ? { Range: `bytes=${range.start}-${range.end ?? ''}` } : {}),
        }),
      );
      return (response.Body as Readable | undefined) ?? Readable.from([]);
    } catch (err) {
      const status = httpStatus(err);
      if (status === 404) throw new BlobNotFoundError(key);
      if (status === 416 && range) throw new BlobRangeError(key, range);
      throw err;
    }
  }

  async head(key: string): Promise<{ bytes: number; contentType?: string } | null> {
    const objectKey = this.objectKey(key);
    try {
      const response = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: objectKey }));
      const bytes = response.ContentLength ?? 0;
      return response.ContentType !== undefined ? { bytes, contentType: response.ContentType } : { bytes };
    } catch (err) {
      if (httpStatus(err) === 404) return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    const objectKey = this.objectKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: objectKey }));
    } catch (err) {
      // A bucket nobody has written to yet holds nothing to delete.
      if (httpStatus(err) !== 404) throw err;
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private objectKey(key: string): string {
    assertValidKey(key);
    return this.prefix + key;
  }

  /** Creates the bucket on the first put; a failure is retried by the next put. */
  private ensureBucket(): Promise<void> {
    this.bucketReady ??= this.createBucketIfMissing().catch((err: unknown) => {
      this.bucketReady = null;
      throw err;
    });
    return this.bucketReady;
  }

  private async createBucketIfMissing(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return;
    } catch (err) {
      if (httpStatus(err) !== 404) throw err;
    }
    try {
      await this.client.send(
        new CreateBucketCommand({
          Bucket: this.bucket,
          // us-east-1 is the one region that refuses an explicit location constraint.
          ...(this.region !== 'us-east-1' ? { CreateBucketConfiguration: { LocationConstraint: this.region as BucketLocationConstraint } } : {}),
        }),
      );
    } catch (err) {
      // Another replica created it between our HEAD and CREATE.
      if ((err as { name?: string }).name !== 'BucketAlreadyOwnedByYou') throw err;
    }
  }
}

function normalizePrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  if (trimmed === '') return '';
  assertValidKey(trimmed);
  return `${trimmed}/`;
}

function httpStatus(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}
