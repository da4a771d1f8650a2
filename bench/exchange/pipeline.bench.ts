/**
 * Pipeline benchmark: objects per second completed end to end — POST /v0/infer/ → api →
 * billing (reservation) → scheduler → router → demo provider → billing → read model — with
 * providers that answer instantly (SLUICE_DEMO_LATENCY_SCALE=0) and items without an SLA (or a
 * short one with --sla), over the demo models in turn.
 *
 *   npm run bench:pipeline -- [--objects 5000] [--items 1000] [--clients 5] [--sla none|<minutes>] [--market thread|inline] [--latency-scale 0] [--time-scale 1] [--clock-origin <ISO time>] [--engine inprocess|process]
 *
 * --latency-scale 1 gives the demo providers their catalogue latency (ttft plus per output token).
 * --time-scale 60 runs the exchange's clock 60× faster: a 60-minute SLA is a 60-second window
 * (`windowSeconds`). Prices follow the time of day, so with an SLA the plan (live now, a cheaper
 * window later, a provider batch job) and hence the figures depend on when the bench runs;
 * --clock-origin 2026-12-07T14:12:00Z starts the exchange's clock there (SLUICE_CLOCK_ORIGIN) so a
 * run can be repeated at any hour.
 *
 * All bodies are posted at once (at most --clients in flight); the clock stops when GET
 * /v0/infer/task/{id} shows every task finished (polled each second; the moment the last
 * ObjectCompleted reached the log, seen by a log subscriber, is reported too). Prints one JSON line.
 *
 * --engine process runs Sluice as `npm start` does (built, in a process of its own) and reports
 * that process's CPU and resident memory (idle before the posts, peak) instead of this one's;
 * the log is then out of reach, so `modes`, `providerMs` and the log-side figures are absent.
 * Stopped, its data folder gets `npm run ledger:check` and `npm run rebuild` (a second JSON line).
 * `settledSeconds` is when billing had charged (or released) every object, after the last completion.
 *
 * --file writes the objects as one seed-format JSONL file instead, uploads it (PUT /v0/files) and
 * submits one task over it with --sla: the path of a large file task (the files service expands
 * it). Its outcome is then the task's counts (`objectStatuses`: completed, failed), not each
 * object's error code; progress goes to stderr every 30 s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { writeSeedFile } from '../files/jsonl-file';
import {
  allTaskObjects,
  call,
  DEMO_MODELS,
  demoMarketEnv,
  items,
  latencySummary,
  openAccount,
  pool,
  round,
  startExchange,
  startExchangeProcess,
  uploadFile,
  watchObjects,
  type TaskView,
  runBenchmark,
} from './harness';

const { values: args } = parseArgs({
  options: {
    objects: { type: 'string', default: '5000' },
    items: { type: 'string', default: '1000' },
    clients: { type: 'string', default: '5' },
    sla: { type: 'string', default: 'none' },
    'timeout-s': { type: 'string', default: '900' },
    market: { type: 'string', default: 'thread' },
    'latency-scale': { type: 'string', default: '0' },
    'time-scale': { type: 'string', default: '1' },
    engine: { type: 'string', default: 'inprocess' },
    file: { type: 'boolean', default: false },
    'clock-origin': { type: 'string' },
    'cancel-after-s': { type: 'string' },
  },
});
if (args.engine !== 'inprocess' && args.engine !== 'process') throw new Error('--engine is inprocess or process');
const OBJECTS = Number(args.objects);
const ITEMS = Math.min(OBJECTS, Number(args.items));
const CLIENTS = Number(args.clients);
const SLA = args.sla === 'none' ? null : Number(args.sla);
const TIMEOUT_MS = Number(args['timeout-s']) * 1000;
if (args.file && SLA === null) throw new Error('--file needs --sla <minutes>: a file task runs within an SLA window');
const CANCEL_AFTER_MS = args['cancel-after-s'] === undefined ? null : Number(args['cancel-after-s']) * 1000;
const FINISHED = new Set(['completed', 'failed', 'cancelled']);

async function main() {
  const env = {
    SLUICE_DEMO_LATENCY_SCALE: args['latency-scale'],
    SLUICE_TIME_SCALE: args['time-scale'],
    ...(args['clock-origin'] ? { SLUICE_CLOCK_ORIGIN: args['clock-origin'] } : {}),
    ...demoMarketEnv(args.market),
  };
  const inProcess = args.engine === 'inprocess' ? await startExchange(env) : undefined;
  const separate = inProcess ? undefined : await startExchangeProcess(env);
  const ex = (inProcess ?? separate)!;
  try {
    const { key, accountId } = await openAccount(ex, 'bench-pipeline', 100_000);
    let completed = 0;
    let lastCompletedAt = 0;
    const providerMs: number[] = [];
    const modes: Record<string, number> = {};
    const sub = inProcess
      ? await watchObjects(inProcess, false, (event, record) => {
          if (event.type === 'ObjectCompleted' && event.payload.accountId === accountId) {
            completed += 1;
            providerMs.push(event.payload.latencyMs);
            modes[event.payload.mode] = (modes[event.payload.mode] ?? 0) + 1;
            lastCompletedAt = Math.max(lastCompletedAt, record.timestamp);
          }
        })
      : undefined;
    const idleRssMB = separate?.rssMB().now;
    const engineCpuBefore = separate?.cpuMs() ?? 0;

    const fileDir = args.file ? mkdtempSync(join(tmpdir(), 'sluice-bench-pipeline-')) : undefined;
    const filePath = fileDir && join(fileDir, 'objects.jsonl');
    if (filePath) await writeSeedFile(filePath, OBJECTS, DEMO_MODELS);
    const bodies = args.file ? [] : Array.from({ length: Math.ceil(OBJECTS / ITEMS) }, (_, b) => items(Math.min(ITEMS, OBJECTS - b * ITEMS), SLA, b * ITEMS));
    const taskIds: string[] = [];
    const postMs: number[] = [];
    const started = Date.now();
    const cpuBefore = process.cpuUsage();
    if (filePath) {
      const fileId = await uploadFile(ex.url, key, filePath);
      const reply = await call<TaskView>(ex.url, 'POST', '/v0/infer/', key, [{ file_id: fileId, sla: SLA }]);
      if (reply.status !== 200) throw new Error(`POST answered ${reply.status}: ${JSON.stringify(reply.body).slice(0, 300)}`);
      taskIds.push(reply.body.task_id);
      postMs.push(Date.now() - started);
      rmSync(fileDir!, { recursive: true, force: true });
    }
    await pool(bodies.length, CLIENTS, async (b) => {
      const reply = await call<TaskView>(ex.url, 'POST', '/v0/infer/', key, bodies[b]);
      if (reply.status !== 200) throw new Error(`POST answered ${reply.status}: ${JSON.stringify(reply.body).slice(0, 300)}`);
      taskIds.push(reply.body.task_id);
      postMs.push(reply.ms);
    });
    const postedAt = Date.now();
    // --cancel-after-s: the first task is cancelled that long after the start (POST …/cancel).
    let cancelledAt: number | null = null;
    const canceller =
      CANCEL_AFTER_MS === null
        ? undefined
        : setTimeout(() => {
            void call(ex.url, 'POST', `/v0/infer/task/${taskIds[0]}/cancel`, key).then((reply) => {
              cancelledAt = Date.now();
              console.error(JSON.stringify({ seconds: round((cancelledAt - started) / 1000), cancel: reply.status }));
            });
          }, Math.max(0, started + CANCEL_AFTER_MS - Date.now()));
    const progress = setInterval(() => {
      void call<TaskView>(ex.url, 'GET', `/v0/infer/task/${taskIds[0]}?limit=1`, key).then((task) => {
        const rss = separate?.rssMB();
        const onLog = inProcess && { completedOnLog: completed };
        console.error(JSON.stringify({ seconds: round((Date.now() - started) / 1000), firstTask: task.body.counts, ...onLog, ...(rss && { rssMB: rss.now, peakRssMB: rss.peak }) }));
      });
    }, Number(process.env.BENCH_PROGRESS_MS ?? 30_000));

    // Poll the tasks until each is finished (completed or failed) as the customer sees it.
    const statuses: Record<string, number> = {};
    const open = new Set(taskIds);
    while (open.size > 0 && Date.now() - started < TIMEOUT_MS) {
      for (const taskId of [...open]) {
        const task = await call<TaskView>(ex.url, 'GET', `/v0/infer/task/${taskId}`, key);
        if (FINISHED.has(task.body.status)) {
          open.delete(taskId);
          if (args.file) {
            statuses.completed = task.body.counts.completed;
            statuses.failed = task.body.counts.failed;
            continue;
          }
          for (const o of await allTaskObjects(ex.url, key, taskId)) {
            const s = o.error?.code ?? o.status;
            statuses[s] = (statuses[s] ?? 0) + 1;
          }
        }
      }
      if (open.size > 0) await sleep(1_000);
    }
    const finishedAt = Date.now();
    clearInterval(progress);
    clearTimeout(canceller);
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMs = separate ? separate.cpuMs() - engineCpuBefore : (cpu.user + cpu.system) / 1000;
    await sub?.stop();
    const seconds = (finishedAt - started) / 1000;
    // The books settle after the last completion: billing charges what completed (or releases it).
    const settledAt = open.size > 0 ? null : await booksSettled(ex.url, OBJECTS, started + TIMEOUT_MS);
    console.log(
      JSON.stringify({
        bench: 'pipeline',
        ...(args.file && { file: true }),
        market: args.market,
        engine: args.engine,
        objects: OBJECTS,
        bodies: bodies.length,
        clients: CLIENTS,
        sla: SLA,
        timeScale: Number(args['time-scale']),
        clockOrigin: args['clock-origin'] ?? null,
        windowSeconds: SLA === null ? null : round((SLA * 60) / Number(args['time-scale']), 1),
        timedOut: open.size > 0,
        seconds: round(seconds, 2),
        objectsPerSec: round(OBJECTS / seconds, 1),
        // Every object charged or released as billing's counters (GET /metrics) say; null: not within the timeout.
        settledSeconds: settledAt === null ? null : round((settledAt - started) / 1000, 2),
        // The process's CPU time per object: steadier than objects/s on a machine shared with other work.
        cpuMsPerObject: round(cpuMs / OBJECTS, 2),
        postsDoneSeconds: round((postedAt - started) / 1000, 2),
        // With --cancel-after-s: when the cancel was answered; `seconds` is then when the task was over.
        ...(CANCEL_AFTER_MS !== null && { cancelledSeconds: cancelledAt === null ? null : round((cancelledAt - started) / 1000, 2) }),
        ...(inProcess && {
          lastCompletedLoggedSeconds: round((lastCompletedAt - started) / 1000, 2),
          completedEventsSeen: completed,
          // How each object ran (live or in a provider batch job) and the providers' own time per call.
          modes,
          providerMs: latencySummary(providerMs),
        }),
        objectStatuses: statuses,
        postMs: latencySummary(postMs),
        // In process: the whole exchange runs in this one (its threads included).
        peakRssMB: separate ? separate.rssMB().peak : Math.round(process.resourceUsage().maxRSS / 1024),
        ...(separate && { idleRssMB }),
      }),
    );
  } finally {
    const checks = await ex.stop();
    if (checks) console.log(JSON.stringify(checks));
  }
}

/**
 * When every object's reservation was charged or released (billing's decision counters on
 * GET /metrics, summed over the process's threads), polled each second until `deadline`.
 */
async function booksSettled(url: string, objects: number, deadline: number): Promise<number | null> {
  while (Date.now() < deadline) {
    const text = await fetch(`${url}/metrics`).then((r) => r.text());
    const decided = (kind: string) =>
      [...text.matchAll(new RegExp(`^sluice_billing_decisions_total\\{[^}]*kind="${kind}"[^}]*\\} (\\S+)$`, 'gm'))].reduce((sum, m) => sum + Number(m[1]), 0);
    const reserved = decided('reserved');
    if (reserved + decided('denied') >= objects && decided('charged') + decided('released') >= reserved) return Date.now();
    await sleep(1_000);
  }
  return null;
}

runBenchmark(main);
