import { resolve } from 'node:path';
import { z } from 'zod';
import type { BlobStoreConfig } from './create-blob-store';

/** Helm values often render an unset setting as ""; treat that as absent. */
const blankAsAbsent = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(blankAsAbsent, schema.optional());

/** The variables one by one, to spread into a service's own env schema. */
export const BlobStoreEnvFields = {
  /** `fs`: a folder (embedded mode, or a volume every service mounts); `s3`: a bucket. */
  BLOB_STORE: z.preprocess(blankAsAbsent, z.enum(['fs', 's3']).default('fs')),
  BLOB_DIR: optional(z.string()),
  S3_BUCKET: optional(z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name (3-63 of a-z 0-9 . -)')),
  S3_REGION: z.preprocess(blankAsAbsent, z.string().default('us-east-1')),
  S3_ENDPOINT: optional(z.url({ protocol: /^https?$/, error: 'an http(s):// URL' })),
  S3_FORCE_PATH_STYLE: z.preprocess(blankAsAbsent, z.stringbool().default(false)),
  AWS_ACCESS_KEY_ID: optional(z.string()),
  AWS_SECRET_ACCESS_KEY: optional(z.string()),
  S3_PREFIX: optional(z.string()),
};

/** The blob store settings of a service that runs as its own process; unknown variables pass through. */
export const BlobStoreEnv = z.looseObject(BlobStoreEnvFields).superRefine((env, ctx) => {
  if (env.BLOB_STORE === 's3' && env.S3_BUCKET === undefined) {
    ctx.addIssue({ code: 'custom', path: ['S3_BUCKET'], message: 'required when BLOB_STORE=s3' });
  }
  if ((env.AWS_ACCESS_KEY_ID === undefined) !== (env.AWS_SECRET_ACCESS_KEY === undefined)) {
    const missing = env.AWS_ACCESS_KEY_ID === undefined ? 'AWS_ACCESS_KEY_ID' : 'AWS_SECRET_ACCESS_KEY';
    ctx.addIssue({ code: 'custom', path: [missing], message: 'set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither (default credential chain)' });
  }
  // Also when another variable is already bad, so one message lists every problem.
}, { when: () => true });
export type BlobStoreEnv = z.infer<typeof BlobStoreEnv>;

/** Default folder of the fs store, relative to the working directory, as in the embedded mode. */
export const DEFAULT_BLOB_DIR = '.sluice/blobs';

/** The store an already-validated env describes. */
export function blobStoreConfigFromParsedEnv(env: BlobStoreEnv): BlobStoreConfig {
  if (env.BLOB_STORE === 'fs') return { kind: 'fs', dir: resolve(env.BLOB_DIR ?? DEFAULT_BLOB_DIR) };
  return {
    kind: 's3',
    bucket: env.S3_BUCKET!,
    region: env.S3_REGION,
    forcePathStyle: env.S3_FORCE_PATH_STYLE,
    ...(env.S3_ENDPOINT !== undefined ? { endpoint: env.S3_ENDPOINT } : {}),
    ...(env.AWS_ACCESS_KEY_ID !== undefined && env.AWS_SECRET_ACCESS_KEY !== undefined
      ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY }
      : {}),
    ...(env.S3_PREFIX !== undefined ? { prefix: env.S3_PREFIX } : {}),
  };
}

/** Validates the blob store variables and returns the config; one error names every bad variable. */
export function blobStoreConfigFromEnv(env: Record<string, string | undefined>): BlobStoreConfig {
  const result = BlobStoreEnv.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(environment)';
      return `  - ${name}: ${env[name] === undefined ? 'missing' : 'bad value'} (${issue.message})`;
    });
    throw new Error(`invalid blob store configuration\n${lines.join('\n')}`);
  }
  return blobStoreConfigFromParsedEnv(result.data);
}
