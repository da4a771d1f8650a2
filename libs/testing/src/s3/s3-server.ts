import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../free-port';
import { startJavaServer } from '../java-process';
import { JAVA, requireCommands } from '../prerequisites';
import { ensureS3ServerDistribution } from './s3-distribution';

export interface S3Server {
  /** `http://127.0.0.1:<port>`: give it to the S3 client as its endpoint, with path-style addressing. */
  endpoint: string;
  /** Region the server answers for; any access key and secret are accepted. */
  region: string;
  /** S3Mock version of the running server (from the pinned pom). */
  version: string;
  pid: number;
  /** Folder with the server's objects and logs; removed by stop(). */
  dir: string;
  stop(): Promise<void>;
}

export interface StartS3Options {
  heapMb?: number;
  startTimeoutMs?: number;
}

const REGION = 'us-east-1';

/**
 * Starts a real S3-compatible HTTP server (Adobe S3Mock, a Spring Boot app from Maven Central)
 * as a local Java process on a free port, storing objects in a throwaway folder. It speaks
 * the S3 REST API the AWS SDK uses: buckets, PutObject, multipart uploads, ranged GETs.
 */
export async function startS3Server(options: StartS3Options = {}): Promise<S3Server> {
  const java = requireCommands([JAVA]).get(JAVA.command)!;
  const distribution = await ensureS3ServerDistribution();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-s3-'));
  const port = await freePort();
  const heapMb = options.heapMb ?? 384;
  const endpoint = `http://127.0.0.1:${port}`;
  const server = await startJavaServer({
    java,
    args: [
      `-Xmx${heapMb}m`, '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Djava.awt.headless=true',
      '-jar', distribution.jar,
      `--com.adobe.testing.s3mock.httpPort=${port}`,
      // The HTTPS connector cannot be switched off; let it take any free port.
      '--server.port=0',
      `--com.adobe.testing.s3mock.store.root=${join(dir, 'data')}`,
      `--com.adobe.testing.s3mock.store.region=${REGION}`,
      '--spring.main.banner-mode=off',
      '--logging.level.root=WARN',
    ],
    dir,
    name: 'S3 server',
    address: endpoint,
    isReady: () => listsBuckets(endpoint),
    timeoutMs: options.startTimeoutMs ?? 60_000,
    pollMs: 100,
    logFiles: ['console.log'],
  });
  return { endpoint, region: REGION, version: distribution.version, pid: server.pid, dir, stop: server.stop };
}

/** Ready once an anonymous ListBuckets (GET /) answers 200. */
async function listsBuckets(endpoint: string): Promise<boolean> {
  const response = await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(2_000) });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`GET / answered ${response.status}`);
  return true;
}
