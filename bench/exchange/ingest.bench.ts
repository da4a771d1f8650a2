/**
 * Ingest benchmark: objects per second accepted through `POST /v0/infer/`, and the POST
 * latency, with 1,000-item bodies sent by a few concurrent clients. Items carry an SLA (one
 * day by default) so the POST answers once the task is recorded and visible, without waiting
 * for any object to run. Target: ≥ 20,000 objects/s.
 *
 *   npm run bench:ingest -- [--bodies 40] [--items 1000] [--clients 4] [--sla 1440] [--warmup 2] [--engine embedded|distributed]
 *
 * `embedded` (default): Sluice runs in this process (embedded engine, demo market, throwaway
 * data folder). `distributed`: each service its own process on a real Kafka broker and
 * PostgreSQL server (distributed-exchange.ts), as the Helm chart deploys it. After
 * `--warmup` bodies and once their objects are planned (the exchange idle again), `--bodies`
 * bodies are timed; objects/s counts accepted bodies only (refused ones are reported by status
 * and code). POST latency covers accepted bodies. Accepting runs ahead of the work it starts
 * (AdmissionPriority), so the bench also reports how long until every accepted object was
 * planned (`queued` in GET): `plannedPerSec` is what the exchange sustains, burst included.
 * Prints one JSON line.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { startDistributedExchange } from './distributed-exchange';
import { ADMIN_KEY, call, items, latencySummary, openAccount, pool, round, startExchange, type TaskView, runBenchmark } from './harness';

const { values: args } = parseArgs({
  options: {
    bodies: { type: 'string', default: '40' },
    items: { type: 'string', default: '1000' },
    clients: { type: 'string', default: '4' },
    sla: { type: 'string', default: '1440' },
    warmup: { type: 'string', default: '2' },
    engine: { type: 'string', default: 'embedded' },
  },
});
const BODIES = Number(args.bodies);
const ITEMS = Number(args.items);
const CLIENTS = Number(args.clients);
const SLA = Number(args.sla);
const WARMUP = Number(args.warmup);

async function main() {
  if (args.engine !== 'embedded' && args.engine !== 'distributed') throw new Error(`--engine is embedded or distributed, not ${args.engine}`);
  const ex = args.engine === 'distributed' ? await startDistributedExchange(ADMIN_KEY) : await startExchange({ SLUICE_DEMO_LATENCY_SCALE: '0' });
  try {
    const { key } = await openAccount(ex, 'bench-ingest', 100_000);
    // Bodies are built before the clock starts: the client's JSON work is not the server's.
    const bodies = Array.from({ length: WARMUP + BODIES }, (_, b) => items(ITEMS, SLA, b * ITEMS));
    // A refused body (e.g. a 500) is counted, not retried: only accepted objects count.
    const failures: Record<string, number> = {};
    let taskIds: string[] = [];
    const post = async (b: number) => {
      const reply = await call<TaskView & { error?: { code: string } }>(ex.url, 'POST', '/v0/infer/', key, bodies[b]);
      if (reply.status === 200 && reply.body.total_items === ITEMS) {
        taskIds.push(reply.body.task_id);
        return reply.ms;
      }
      const code = `${reply.status} ${reply.body.error?.code ?? ''}`.trim();
      failures[code] = (failures[code] ?? 0) + 1;
      return null;
    };
    for (let b = 0; b < WARMUP; b++) await post(b);
    await untilPlanned(ex.url, key, taskIds);
    taskIds = [];

    const latencies: number[] = [];
    const started = performance.now();
    await pool(BODIES, CLIENTS, async (i) => {
      const ms = await post(WARMUP + i);
      if (ms !== null) latencies.push(ms);
    });
    const seconds = (performance.now() - started) / 1000;
    await untilPlanned(ex.url, key, taskIds);
    const plannedSeconds = (performance.now() - started) / 1000;
    const objects = latencies.length * ITEMS;
    console.log(
      JSON.stringify({
        bench: 'ingest',
        engine: args.engine,
        bodies: BODIES,
        itemsPerBody: ITEMS,
        clients: CLIENTS,
        sla: SLA,
        objects,
        refusedBodies: failures,
        seconds: round(seconds, 2),
        objectsPerSec: Math.round(objects / seconds),
        targetObjectsPerSec: 20_000,
        postMs: latencySummary(latencies),
        plannedSeconds: round(plannedSeconds, 2),
        plannedPerSec: Math.round(objects / plannedSeconds),
      }),
    );
  } finally {
    await ex.stop();
  }
}

/** Waits until every object of the tasks has left `submitted` (the scheduler planned it, or it already ran). */
async function untilPlanned(url: string, key: string, taskIds: readonly string[]): Promise<void> {
  for (const taskId of taskIds) {
    for (;;) {
      const { body } = await call<TaskView>(url, 'GET', `/v0/infer/task/${taskId}/`, key);
      if (body.total_items === ITEMS && body.counts.submitted === 0) break;
      await sleep(50);
    }
  }
}

runBenchmark(main);
