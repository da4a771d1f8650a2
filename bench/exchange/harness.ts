/**
 * What the exchange benchmarks share: Sluice (all five services, embedded log and databases,
 * demo provider market) started in this process on loopback in a throwaway data folder, an
 * account opened through the admin endpoint, a small JSON client, percentiles, and items.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topics, decodeEvent, type SluiceEvent } from '@sluice/events';
import type { LogRecord, Subscription } from '@sluice/eventlog';
import { configureLogging } from '@sluice/telemetry';
import { loadEmbeddedConfig } from '../../apps/sluice/src/config';
import { startEmbedded, type EmbeddedSluice } from '../../apps/sluice/src/embedded-host';
import { freePort } from '../free-port';

export const ADMIN_KEY = 'sk_admin_bench_exchange_0123456789';

export interface Exchange {
  sluice: EmbeddedSluice;
  url: string;
  stop(): Promise<void>;
}

const PASSED_THROUGH = ['SLUICE_SERVICE_THREAD', 'LOG_LEVEL'] as const;

/**
 * The settings a bench takes from its own environment: SLUICE_SERVICE_THREAD=false runs all
 * five services on one thread; LOG_LEVEL (silent, to measure what logging costs) also sets this
 * thread's logger. SLUICE_METRICS=false is read from the environment where it applies.
 */
export function benchEnvironment(): Record<string, string> {
  if (process.env.LOG_LEVEL) configureLogging({ level: process.env.LOG_LEVEL });
  return Object.fromEntries(PASSED_THROUGH.flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : [])));
}

/** Starts Sluice with the given settings (SLUICE_TIME_SCALE, SLUICE_DEMO_LATENCY_SCALE, ...) and benchEnvironment()'s. */
export async function startExchange(env: Record<string, string> = {}): Promise<Exchange> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-bench-exchange-'));
  const sluice = await startEmbedded(
    loadEmbeddedConfig({ SLUICE_DATA_DIR: dataDir, PORT: '0', SLUICE_ADMIN_KEY: ADMIN_KEY, HEARTBEAT_INTERVAL_MS: '5000', ...benchEnvironment(), ...env }),
  );
  return {
    sluice,
    url: sluice.url,
    stop: async () => {
      await sluice.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Sluice as `npm start` runs it: the built engine in a process of its own, watched through /proc. */
export interface ExchangeProcess {
  url: string;
  pid: number;
  /** CPU milliseconds (user + system) the process has used, all its threads. */
  cpuMs(): number;
  /** Its resident memory now and its peak (VmRSS, VmHWM), in MB. */
  rssMB(): { now: number; peak: number };
  /** Stops it, then runs `npm run ledger:check` and `npm run rebuild` on its data folder; their last lines. */
  stop(): Promise<{ ledgerCheck: string; rebuild: string }>;
}

/** Runs an operator command (an npm script) on a stopped engine's data folder: whether it succeeded, and its output on one line. */
function operatorCommand(script: string, dataDir: string): string {
  const run = spawnSync('npm', ['run', '-s', script, '--', '--data-dir', dataDir], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'warn' } });
  const output = `${run.stdout} ${run.stderr}`.replace(/\s+/g, ' ').trim().slice(0, 300);
  return `${run.status === 0 ? 'ok' : `FAILED (exit ${run.status})`}: ${output}`;
}

const ROOT = resolve(__dirname, '../..');
const procStatusKb = (pid: number, field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);


/**
 * Builds `dist/` (npm run build), then starts `node dist/apps/sluice/src/main.js` on a throwaway
 * data folder with the settings given; BENCH_ENGINE_NODE_ARGS (space-separated) go before the script.
 */
export async function startExchangeProcess(env: Record<string, string> = {}): Promise<ExchangeProcess> {
  const build = spawnSync(process.execPath, [join(ROOT, 'tools/build.cjs')], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (build.status !== 0) throw new Error('build failed');
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-bench-exchange-'));
  const port = await freePort();
  const nodeArgs = (process.env.BENCH_ENGINE_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, join(ROOT, 'dist/apps/sluice/src/main.js')], {
    cwd: ROOT,
    env: { ...process.env, SLUICE_DATA_DIR: dataDir, PORT: String(port), SLUICE_ADMIN_KEY: ADMIN_KEY, HEARTBEAT_INTERVAL_MS: '5000', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const url = `http://127.0.0.1:${port}`;
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the engine exited (code ${child.exitCode}) before it was healthy`);
    if (Date.now() - started > 180_000) throw new Error('the engine was not healthy after 180 s');
    if (await fetch(`${url}/healthz`).then((res) => res.ok, () => false)) break;
    await sleep(250);
  }
  const pid = child.pid!;
  const ticksPerSecond = 100;
  return {
    url,
    pid,
    cpuMs: () => {
      // Fields 14 and 15 of /proc/<pid>/stat (after the parenthesised name): utime, stime in clock ticks.
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
    },
    rssMB: () => ({ now: Math.round(procStatusKb(pid, 'VmRSS') / 1024), peak: Math.round(procStatusKb(pid, 'VmHWM') / 1024) }),
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      const checks = { ledgerCheck: operatorCommand('ledger:check', dataDir), rebuild: operatorCommand('rebuild', dataDir) };
      rmSync(dataDir, { recursive: true, force: true });
      return checks;
    },
  };
}

/**
 * The setting for a bench's `--market` option: the demo market on its own worker thread (as
 * `npm start` runs it) or on the exchange's thread.
 */
export function demoMarketEnv(market: string | undefined): { SLUICE_DEMO_MARKET_THREAD: string } {
  if (market !== 'thread' && market !== 'inline') throw new Error('--market is thread or inline');
  return { SLUICE_DEMO_MARKET_THREAD: String(market === 'thread') };
}

/**
 * Follows the objects topic as one more consumer group (from its start, or only what comes
 * next), handing over each parsed event with the log record it came in (append timestamp).
 */
export function watchObjects(
  ex: Exchange,
  fromBeginning: boolean,
  onEvent: (event: SluiceEvent, record: LogRecord, receivedAt: number) => void,
): Promise<Subscription> {
  return ex.sluice.log.subscribe({
    groupId: `bench-watch-${Date.now()}-${Math.random().toString(36).slice(2)}`,
    topics: [Topics.objects],
    fromBeginning,
    deadLetterTopic: Topics.deadLetter,
    handleBatch: async (batch) => {
      const receivedAt = Date.now();
      for (const record of batch.records) onEvent(decodeEvent(record), record, receivedAt);
    },
  });
}

export interface Reply<T> {
  status: number;
  body: T;
  /** Real milliseconds from sending the request to having parsed the answer. */
  ms: number;
}

export async function call<T>(url: string, method: string, path: string, key: string, body?: unknown): Promise<Reply<T>> {
  const started = performance.now();
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const parsed = (await res.json()) as T;
  return { status: res.status, body: parsed, ms: performance.now() - started };
}

/** Opens an account with credit and waits until the credit is in its wallet. */
export async function openAccount(ex: Pick<Exchange, 'url'>, name: string, creditUsd: number): Promise<{ key: string; accountId: string }> {
  const created = await call<{ api_key: string; account_id: string }>(ex.url, 'POST', '/v0/admin/accounts', ADMIN_KEY, { name, credit_usd: creditUsd });
  if (created.status !== 201) throw new Error(`account not created: ${created.status} ${JSON.stringify(created.body)}`);
  const key = created.body.api_key;
  for (let i = 0; i < 300; i++) {
    const balance = await call<{ current_balance_usd: number }>(ex.url, 'GET', '/v1/balance', key);
    if (balance.body.current_balance_usd > 0) return { key, accountId: created.body.account_id };
    await sleep(100);
  }
  throw new Error('the credit never reached the wallet');
}

export interface TaskView {
  status: string;
  task_id: string;
  total_items: number;
  counts: { submitted: number; queued: number; running: number; completed: number; failed: number };
  /** One page (GET: `limit`, default 100; `after` = `next`). */
  objects: Array<{ object_id: string; status: string; error?: { code: string } }>;
  has_more: boolean;
  next: string | null;
}

/** Uploads a JSONL file from disk as the account's (PUT /v0/files, one streamed body); its file id. */
export async function uploadFile(url: string, key: string, path: string): Promise<string> {
  const res = await fetch(`${url}/v0/files/bench.jsonl`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/jsonl', 'content-length': String(statSync(path).size) },
    body: Readable.toWeb(createReadStream(path)) as ReadableStream,
    duplex: 'half',
  } as RequestInit);
  const body = (await res.json()) as { file_id: string };
  if (res.status !== 200) throw new Error(`upload answered ${res.status}: ${JSON.stringify(body)}`);
  return body.file_id;
}

/** Every object of a task, in pages of 1,000 (the most a page holds). */
export async function allTaskObjects(url: string, key: string, taskId: string): Promise<TaskView['objects']> {
  const objects: TaskView['objects'] = [];
  let after: string | null = null;
  do {
    const page: Reply<TaskView> = await call<TaskView>(url, 'GET', `/v0/infer/task/${taskId}?limit=1000${after ? `&after=${after}` : ''}`, key);
    if (page.status !== 200) throw new Error(`GET task ${taskId} answered ${page.status}`);
    objects.push(...page.body.objects);
    after = page.body.next;
  } while (after);
  return objects;
}

export const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

export const round = (n: number, digits = 1): number => +n.toFixed(digits);

export function latencySummary(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { n: sorted.length, p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)), max: round(sorted.at(-1) ?? NaN) };
}

export const DEMO_MODELS = ['qwen-7b', 'llama-3.1-8b', 'deepseek:r1-32b', 'openai:gpt-4o-mini', 'openai:gpt-4o'] as const;

const SUBJECTS = ['the water cycle', 'photosynthesis', 'batch inference', 'prime numbers', 'a Margherita pizza', 'tidal power', 'event sourcing', 'the Roman calendar'];
const ASKS = ['Summarise', 'Explain to a child', 'Write a haiku about', 'List three facts about', 'Describe the history of'];

/** A distinct prompt of roughly 15–25 tokens (distinct so the demo market's answers vary in length). */
export const prompt = (i: number): string =>
  `${ASKS[i % ASKS.length]} ${SUBJECTS[Math.floor(i / ASKS.length) % SUBJECTS.length]} in a few sentences, please. Request number ${i}.`;

/** `count` items over the demo models in turn, all with the same SLA (null = run at once). */
export function items(count: number, sla: number | null, offset = 0, models: readonly string[] = DEMO_MODELS) {
  return Array.from({ length: count }, (_, k) => {
    const i = offset + k;
    return { ...(sla === null ? {} : { sla }), model: models[i % models.length], input: prompt(i) };
  });
}

/** Runs `fn` for each index in [0, n) with at most `concurrency` in flight. */
export async function pool(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(n, concurrency) }, worker));
}

/** Runs a benchmark's main and exits: 0 when it finished, 1 with the error otherwise. */
export function runBenchmark(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
