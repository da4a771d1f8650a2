import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { LogRecord, RecordBatch } from '../event-log.port';
import type { EventLogConfig } from '../create-event-log';

/** Topic and group names are unique per test so the suite can share one Kafka broker. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A handler that keeps every record it is given, in the order given. */
export function collector(onBatch?: (batch: RecordBatch) => Promise<void>) {
  const records: LogRecord[] = [];
  return {
    records,
    handleBatch: async (batch: RecordBatch) => {
      await onBatch?.(batch);
      records.push(...batch.records);
    },
  };
}

export const recordId = (record: Pick<LogRecord, 'partition' | 'offset'>) => `${record.partition}:${record.offset}`;

export const EVENT_LOG_CONFIG_ENV = 'SLUICE_EVENTLOG_CONFIG';

const REGISTER = resolve(__dirname, '../../../../tools/register.cjs');

export interface ChildHandle {
  child: ChildProcess;
  /** Resolves with the first stdout line that parses as JSON with `marker: name`. */
  marker<T>(name: string, timeoutMs?: number): Promise<T>;
  /** Every JSON line the child printed so far. */
  lines: unknown[];
  kill(): Promise<void>;
}

/** Runs a TypeScript script in a fresh node process that reaches the log through `config`. */
export function spawnTsChild(script: string, config: EventLogConfig, args: string[] = []): ChildHandle {
  const child = spawn(process.execPath, ['-r', REGISTER, script, ...args], {
    env: { ...process.env, [EVENT_LOG_CONFIG_ENV]: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: unknown[] = [];
  let stderr = '';
  let buffered = '';
  const listeners = new Set<() => void>();
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const line of parts) {
      try {
        lines.push(JSON.parse(line));
      } catch {
        // not one of our markers
      }
    }
    for (const listener of listeners) listener();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    child,
    lines,
    marker<T>(name: string, timeoutMs = 60_000) {
      return new Promise<T>((resolvePromise, reject) => {
        const find = () => lines.find((l) => (l as { marker?: string }).marker === name) as T | undefined;
        const check = () => {
          const found = find();
          if (found !== undefined) finish(() => resolvePromise(found));
        };
        const onExit = (code: number | null) =>
          finish(() => reject(new Error(`child exited (${code}) before printing ${name}: ${stderr.slice(-2_000)}`)));
        const timer = setTimeout(() => finish(() => reject(new Error(`no ${name} marker after ${timeoutMs} ms: ${stderr.slice(-2_000)}`))), timeoutMs);
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off('exit', onExit);
          settle();
        };
        listeners.add(check);
        child.once('exit', onExit);
        check();
      });
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

export function configFromEnv(): EventLogConfig {
  const raw = process.env[EVENT_LOG_CONFIG_ENV];
  if (!raw) throw new Error(`${EVENT_LOG_CONFIG_ENV} is not set`);
  return JSON.parse(raw) as EventLogConfig;
}
