/**
 * The projection-lag bench's client, run in a worker thread so that its HTTP work (fetch,
 * JSON, timers) does not share the exchange's event loop, as a real client would not: it
 * posts the steady load and polls GET /v0/infer/object/{id} for each completion the main
 * thread forwards. Results go back as one message.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { call, items } from './harness';

export interface ClientSettings {
  url: string;
  key: string;
  rate: number;
  seconds: number;
  items: number;
  pollMs: number;
  samplers: number;
  giveUpMs: number;
}
/** Main → client: an ObjectCompleted to follow, with its event time and log append time. */
export interface Completion {
  objectId: string;
  occurredAt: number;
  appendedAt: number;
  receivedAt: number;
}
export interface ClientResults {
  bodies: number;
  fromOccurredAt: number[];
  fromAppended: number[];
  toRequest: number[];
  getMs: number[];
  neverVisible: number;
  skipped: number;
  failedPosts: number;
}

async function run(s: ClientSettings): Promise<ClientResults> {
  const r: ClientResults = { bodies: 0, fromOccurredAt: [], fromAppended: [], toRequest: [], getMs: [], neverVisible: 0, skipped: 0, failedPosts: 0 };
  let following = 0;
  const pollers: Promise<void>[] = [];
  const waitVisible = async (c: Completion) => {
    while (Date.now() - c.receivedAt < s.giveUpMs) {
      const reply = await call<{ status: string }>(s.url, 'GET', `/v0/infer/object/${c.objectId}`, s.key);
      r.getMs.push(reply.ms);
      if (reply.body.status === 'completed') {
        const visibleAt = Date.now();
        r.fromOccurredAt.push(visibleAt - c.occurredAt);
        r.fromAppended.push(visibleAt - c.appendedAt);
        r.toRequest.push(visibleAt - reply.ms - c.occurredAt);
        return;
      }
      await sleep(s.pollMs);
    }
    r.neverVisible += 1;
  };
  parentPort!.on('message', (c: Completion) => {
    if (following >= s.samplers) return void (r.skipped += 1);
    following += 1;
    pollers.push(waitVisible(c).finally(() => (following -= 1)));
  });

  // Steady load: one body of `items` no-SLA items every items/rate seconds, not waiting for answers.
  const intervalMs = (1000 * s.items) / s.rate;
  r.bodies = Math.round((s.seconds * 1000) / intervalMs);
  const posts: Promise<unknown>[] = [];
  const started = Date.now();
  for (let b = 0; b < r.bodies; b++) {
    const post = call(s.url, 'POST', '/v0/infer/', s.key, items(s.items, null, b * s.items));
    posts.push(post.then((reply) => void (reply.status === 200 || (r.failedPosts += 1))));
    await sleep(Math.max(0, started + (b + 1) * intervalMs - Date.now()));
  }
  await Promise.all(posts);
  await sleep(500);
  await Promise.all(pollers);
  parentPort!.removeAllListeners('message');
  return r;
}

run(workerData as ClientSettings).then((results) => parentPort!.postMessage(results));
