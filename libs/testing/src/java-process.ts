import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { onProcessExit, sleepSync } from './exit-cleanup';

export interface JavaServer {
  pid: number;
  /** The server's throwaway folder; removed by stop(). */
  dir: string;
  stop(): Promise<void>;
}

export interface StartJavaServerOptions {
  /** Path of the `java` command. */
  java: string;
  args: string[];
  /** Throwaway folder the server owns: its console output goes to `console.log` there. */
  dir: string;
  /** What is starting and where, for the error messages, e.g. `S3 server` and its endpoint. */
  name: string;
  address: string;
  /**
   * One readiness check: resolves true once the server serves requests. A throw or false
   * means "not yet"; the last error is reported if the server never gets ready.
   */
  isReady(): Promise<boolean>;
  timeoutMs: number;
  pollMs: number;
  /** Files in `dir` whose tails go into the error when the server does not start. */
  logFiles: string[];
}

/**
 * Runs `java args` as a local server and waits until it serves requests. If the test process
 * exits first, the JVM is killed and `dir` removed; if the server exits or never gets ready,
 * it is stopped and the error carries the tails of its logs.
 */
export async function startJavaServer(options: StartJavaServerOptions): Promise<JavaServer> {
  const { dir } = options;
  const consoleLog = openSync(join(dir, 'console.log'), 'a');
  const child = spawn(options.java, options.args, { stdio: ['ignore', consoleLog, consoleLog] });
  closeSync(consoleLog);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const unregister = onProcessExit(() => {
    child.kill('SIGKILL');
    // Let the kernel finish the kill, or the dying JVM may recreate files as they are removed.
    sleepSync(200);
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  });

  const stop = async () => {
    unregister();
    await stopJava(child, exited);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilReady(options, exited);
  } catch (err) {
    const logs = options.logFiles.map((name) => tail(join(dir, name))).join('\n');
    await stop();
    throw new Error(`${(err as Error).message}\n${logs}`.trim());
  }
  return { pid: child.pid!, dir, stop };
}

async function waitUntilReady(options: StartJavaServerOptions, exited: Promise<number | null>): Promise<void> {
  const { name, timeoutMs } = options;
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`${name} exited with code ${exitCode} before it served requests`);
    try {
      if (await options.isReady()) return;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, options.pollMs));
  }
  throw new Error(`${name} at ${options.address} not serving after ${timeoutMs} ms: ${String(lastError)}`);
}

async function stopJava(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  // A clean shutdown takes a second or two (a one-node Kafka cluster's controlled shutdown);
  // the data is thrown away anyway, so a server that hangs is killed.
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

function tail(file: string, chars = 3_000): string {
  if (!existsSync(file)) return '';
  const text = readFileSync(file, 'utf8');
  return text.length > chars ? `…${text.slice(-chars)}` : text;
}
