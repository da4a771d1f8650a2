/**
 * Blob store benchmark: streams one large generated blob (default 256 MiB) in with put and
 * out with get, through the port, for the fs and S3 adapters; prints MiB/s and the peak
 * memory growth over the run, and fails if the bytes that came back differ or if memory
 * grew past MEMORY_CAP_MIB (a buffered 256 MiB body would; the S3 adapter's multipart
 * upload holds about partSize × queueSize = 32 MiB, plus the SDK's own copies).
 *
 *   npm run bench:blobstore -- [--adapter fs|s3|both] [--mib 256]
 *
 * S3: uses S3_ENDPOINT (path style, any credentials) if set, else starts the local S3Mock (libs/testing).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createBlobStore, type BlobStore, type BlobStoreConfig } from '@sluice/blobstore';
import { startS3Server } from '@sluice/testing';

const { values: args } = parseArgs({
  options: {
    adapter: { type: 'string', default: 'both' },
    mib: { type: 'string', default: '256' },
  },
});
const MiB = 1024 * 1024;
const TOTAL = Number(args.mib) * MiB;
const MEMORY_CAP_MIB = 160;

/** 1 MiB chunks of one random block, each stamped with its index; the hash is taken as they go. */
function generatedBody() {
  const block = randomBytes(MiB);
  const hash = createHash('sha256');
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i * MiB < TOTAL; i++) {
      const chunk = Buffer.from(block.subarray(0, Math.min(MiB, TOTAL - i * MiB)));
      chunk.writeUInt32BE(i, 0);
      hash.update(chunk);
      yield chunk;
    }
  }
  return { chunks: chunks(), sha256: () => hash.digest('hex') };
}

/** Peak RSS and external+array buffer memory above what they were at the start. */
function memoryWatch() {
  global.gc?.();
  const base = process.memoryUsage();
  let rss = 0;
  let buffers = 0;
  const sample = () => {
    const now = process.memoryUsage();
    rss = Math.max(rss, now.rss - base.rss);
    buffers = Math.max(buffers, now.arrayBuffers - base.arrayBuffers);
  };
  const timer = setInterval(sample, 10);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return { rssMiB: rss / MiB, buffersMiB: buffers / MiB };
    },
  };
}

async function run(name: string, store: BlobStore): Promise<boolean> {
  const key = `bench/blobstore/${name}-${Date.now()}`;
  const body = generatedBody();
  const watch = memoryWatch();
  const putStart = performance.now();
  const info = await store.put(key, body.chunks, { contentType: 'application/octet-stream' });
  const putSeconds = (performance.now() - putStart) / 1000;

  const getStart = performance.now();
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of await store.get(key)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  const getSeconds = (performance.now() - getStart) / 1000;
  const memory = watch.stop();
  await store.delete(key);

  const expected = body.sha256();
  const intact = info.bytes === TOTAL && bytes === TOTAL && info.sha256 === expected && hash.digest('hex') === expected;
  const streamed = memory.rssMiB < MEMORY_CAP_MIB;
  const mib = TOTAL / MiB;
  console.log(
    `${name.padEnd(3)} ${mib} MiB  put ${(mib / putSeconds).toFixed(0).padStart(4)} MiB/s  get ${(mib / getSeconds).toFixed(0).padStart(4)} MiB/s  ` +
      `peak growth: rss ${memory.rssMiB.toFixed(0)} MiB, buffers ${memory.buffersMiB.toFixed(0)} MiB  ` +
      `${intact ? 'bytes intact' : 'BYTES DIFFER'}${streamed ? '' : `  OVER THE ${MEMORY_CAP_MIB} MiB MEMORY CAP`}`,
  );
  return intact && streamed;
}

async function main(): Promise<void> {
  const adapters = args.adapter === 'both' ? ['fs', 's3'] : [args.adapter!];
  let ok = true;
  for (const adapter of adapters) {
    if (adapter === 'fs') {
      const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-blobs-'));
      const store = createBlobStore({ kind: 'fs', dir });
      try {
        ok = (await run('fs', store)) && ok;
      } finally {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    } else if (adapter === 's3') {
      const server = process.env.S3_ENDPOINT ? null : await startS3Server();
      const config: BlobStoreConfig = {
        kind: 's3',
        bucket: `bench-${Date.now()}`,
        region: 'us-east-1',
        endpoint: process.env.S3_ENDPOINT ?? server!.endpoint,
        forcePathStyle: true,
        accessKeyId: 'bench',
        secretAccessKey: 'bench',
      };
      const store = createBlobStore(config);
      try {
        ok = (await run('s3', store)) && ok;
      } finally {
        await store.close();
        await server?.stop();
      }
    } else {
      throw new Error(`unknown adapter ${adapter}: fs, s3 or both`);
    }
  }
  if (!ok) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
