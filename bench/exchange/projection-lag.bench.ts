/**
 * Projection lag benchmark: how long after an object completes does GET
 * /v0/infer/object/{id} show it completed. Target: p99 ≤ 50 ms.
 *
 *   npm run bench:projection-lag -- [--rate 20] [--seconds 20] [--items 5] [--poll-ms 2] [--samplers 4] [--market thread|inline]
 *
 * Sluice runs at time scale 1 (so event `occurredAt` is real time) with instant demo providers,
 * on a worker thread as `npm start` runs them (`--market inline`: on the exchange's own thread).
 * A steady load of no-SLA items is posted (--rate objects/s, in bodies of --items). The bench
 * follows the objects topic as its own consumer group; on each ObjectCompleted of its account
 * it polls GET /v0/infer/object/{id} every --poll-ms until the object shows completed, and
 * takes the moment that answer arrived as "visible". So that the polling does not become the
 * load, at most --samplers objects are followed at once; completions meanwhile are skipped
 * (counted as `skipped`). Reported, in milliseconds:
 *   fromOccurredAt          — event occurredAt (router's decision, so incl. outbox relay) → answer seen
 *   fromOccurredAtToRequest — the same to when that successful GET was sent (a lower bound)
 *   fromAppended            — the log record's append timestamp → answer seen
 *   delivery                — append → this bench's own consumer received it
 *   getMs                   — every GET's own latency
 * Prints one JSON line.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { demoMarketEnv, latencySummary, openAccount, startExchange, watchObjects, runBenchmark } from './harness';
import type { ClientResults, ClientSettings, Completion } from './projection-lag.client';

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '20' },
    items: { type: 'string', default: '5' },
    'poll-ms': { type: 'string', default: '2' },
    samplers: { type: 'string', default: '4' },
    market: { type: 'string', default: 'thread' },
  },
});
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const ITEMS = Number(args.items);
const POLL_MS = Number(args['poll-ms']);
const SAMPLERS = Number(args.samplers);
const MARKET = args.market;
const GIVE_UP_MS = 10_000;

async function main() {
  const ex = await startExchange({ SLUICE_DEMO_LATENCY_SCALE: '0', SLUICE_TIME_SCALE: '1', ...demoMarketEnv(MARKET) });
  try {
    const { key, accountId } = await openAccount(ex, 'bench-projection-lag', 100_000);
    const settings: ClientSettings = { url: ex.url, key, rate: RATE, seconds: SECONDS, items: ITEMS, pollMs: POLL_MS, samplers: SAMPLERS, giveUpMs: GIVE_UP_MS };
    const client = new Worker(join(__dirname, 'projection-lag.client.ts'), { workerData: settings });
    const delivery: number[] = [];
    const sub = await watchObjects(ex, false, (event, record, receivedAt) => {
      if (event.type !== 'ObjectCompleted' || event.payload.accountId !== accountId) return;
      delivery.push(receivedAt - record.timestamp);
      const completion: Completion = { objectId: event.payload.objectId, occurredAt: Date.parse(event.occurredAt), appendedAt: record.timestamp, receivedAt };
      client.postMessage(completion);
    });
    const loopBefore = performance.eventLoopUtilization();
    const results = await new Promise<ClientResults>((resolve, reject) => {
      client.once('message', resolve);
      client.once('error', reject);
      client.once('exit', (code) => reject(new Error(`bench client exited with ${code}`)));
    });
    const loop = performance.eventLoopUtilization(loopBefore);
    await sub.stop();
    await client.terminate();

    console.log(
      JSON.stringify({
        bench: 'projection-lag',
        rateObjectsPerSec: RATE,
        seconds: SECONDS,
        objects: results.bodies * ITEMS,
        pollMs: POLL_MS,
        market: MARKET,
        fromOccurredAt: latencySummary(results.fromOccurredAt),
        fromAppended: latencySummary(results.fromAppended),
        fromOccurredAtToRequest: latencySummary(results.toRequest),
        delivery: latencySummary(delivery),
        getMs: latencySummary(results.getMs),
        neverVisible: results.neverVisible,
        skipped: results.skipped,
        failedPosts: results.failedPosts,
        // Share of the run the exchange's one thread was busy (event-loop utilisation).
        exchangeThreadBusy: Math.round(loop.utilization * 1000) / 1000,
        targetP99Ms: 50,
      }),
    );
  } finally {
    await ex.stop();
  }
}

runBenchmark(main);
