import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onProcessExit, sleepSync } from '../exit-cleanup';
import { freePort } from '../free-port';
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
  const consoleLog = openSync(join(dir, 'console.log'), 'a');
  const child = spawn(
    java,
    [
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
    { stdio: ['ignore', consoleLog, consoleLog] },
  );
  closeSync(consoleLog);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const unregister = onProcessExit(() => {
    child.kill('SIGKILL');
    // Let the kernel finish the kill, or the dying JVM may recreate files as they are removed.
    sleepSync(200);
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  });

  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    unregister();
    await stopProcess(child, exited);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilServing(endpoint, exited, options.startTimeoutMs ?? 60_000);
  } catch (err) {
    const logs = tail(join(dir, 'console.log'));
    await stop();
    throw new Error(`${(err as Error).message}\n${logs}`.trim());
  }
  return { endpoint, region: REGION, version: distribution.version, pid: child.pid!, dir, stop };
}

/** Ready once an anonymous ListBuckets (GET /) answers 200. */
async function waitUntilServing(endpoint: string, exited: Promise<number | null>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`S3 server exited with code ${exitCode} before it served requests`);
    try {
      const response = await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.ok) return;
      lastError = new Error(`GET / answered ${response.status}`);
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`S3 server at ${endpoint} not serving after ${timeoutMs} ms: ${String(lastError)}`);
}

async function stopProcess(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

function tail(file: string, chars = 3_000): string {
  if (!existsSync(file)) return '';
  const text = readFileSync(file, 'utf8');
  return text.length > chars ? `…${text.slice(-chars)}` : text;
}
