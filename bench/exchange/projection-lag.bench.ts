/**
 * Projection lag benchmark: how long after an object completes does GET
 * /v0/infer/object/{id} show it completed. Target: p99 ≤ 50 ms.
 *
 *   npm run bench:projection-lag -- [--rate 20] [--seconds 20] [--items 5] [--poll-ms 2] [--samplers 4]
 *
 * Sluice runs at time scale 1 (so event `occurredAt` is real time) with instant demo providers.
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
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { call, items, latencySummary, openAccount, startExchange, watchObjects, runBenchmark } from './harness';

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '20' },
    items: { type: 'string', default: '5' },
    'poll-ms': { type: 'string', default: '2' },
    samplers: { type: 'string', default: '4' },
  },
});
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const ITEMS = Number(args.items);
const POLL_MS = Number(args['poll-ms']);
const SAMPLERS = Number(args.samplers);
const GIVE_UP_MS = 10_000;

async function main() {
  const ex = await startExchange({ SLUICE_DEMO_LATENCY_SCALE: '0', SLUICE_TIME_SCALE: '1' });
  try {
    const { key, accountId } = await openAccount(ex, 'bench-projection-lag', 100_000);
    const fromOccurredAt: number[] = [];
    const fromAppended: number[] = [];
    const toRequest: number[] = [];
    const delivery: number[] = [];
    const getMs: number[] = [];
    let neverVisible = 0;
    let skipped = 0;
    let following = 0;
    let failedPosts = 0;
    const pollers: Promise<void>[] = [];

    const waitVisible = async (objectId: string, occurredAt: number, appendedAt: number, receivedAt: number) => {
      while (Date.now() - receivedAt < GIVE_UP_MS) {
        const reply = await call<{ status: string }>(ex.url, 'GET', `/v0/infer/object/${objectId}`, key);
        getMs.push(reply.ms);
        if (reply.body.status === 'completed') {
          const visibleAt = Date.now();
          fromOccurredAt.push(visibleAt - occurredAt);
          fromAppended.push(visibleAt - appendedAt);
          toRequest.push(visibleAt - reply.ms - occurredAt);
          return;
        }
        await sleep(POLL_MS);
      }
      neverVisible += 1;
    };
    const follow = (...a: Parameters<typeof waitVisible>) => waitVisible(...a).finally(() => (following -= 1));
    const sub = await watchObjects(ex, false, (event, record, receivedAt) => {
      if (event.type !== 'ObjectCompleted' || event.payload.accountId !== accountId) return;
      delivery.push(receivedAt - record.timestamp);
      if (following >= SAMPLERS) return void (skipped += 1);
      following += 1;
      pollers.push(follow(event.payload.objectId, Date.parse(event.occurredAt), record.timestamp, receivedAt));
    });

    // Steady load: one body of ITEMS no-SLA items every ITEMS/RATE seconds, not waiting for answers.
    const intervalMs = (1000 * ITEMS) / RATE;
    const bodies = Math.round((SECONDS * 1000) / intervalMs);
    const posts: Promise<unknown>[] = [];
    const started = Date.now();
    for (let b = 0; b < bodies; b++) {
      const post = call(ex.url, 'POST', '/v0/infer/', key, items(ITEMS, null, b * ITEMS));
      posts.push(post.then((r) => void (r.status === 200 || (failedPosts += 1))));
      await sleep(Math.max(0, started + (b + 1) * intervalMs - Date.now()));
    }
    await Promise.all(posts);
    await sleep(500);
    await Promise.all(pollers);
    await sub.stop();

    const summary = latencySummary(fromOccurredAt);
    console.log(
      JSON.stringify({
        bench: 'projection-lag',
        rateObjectsPerSec: RATE,
        seconds: SECONDS,
        objects: bodies * ITEMS,
        pollMs: POLL_MS,
        fromOccurredAt: summary,
        fromAppended: latencySummary(fromAppended),
        fromOccurredAtToRequest: latencySummary(toRequest),
        delivery: latencySummary(delivery),
        getMs: latencySummary(getMs),
        neverVisible,
        skipped,
        failedPosts,
        targetP99Ms: 50,
      }),
    );
  } finally {
    await ex.stop();
  }
}

runBenchmark(main);
