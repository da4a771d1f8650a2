/**
 * The real-time overhead bench's client, on a worker thread so that its HTTP work does not
 * share the exchange's event loop: POST /v1/inference at a fixed arrival rate (open loop:
 * requests go out on schedule whatever the answers do). Results go back as one message.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';

export interface OverheadClientSettings {
  url: string;
  key: string;
  rate: number;
  seconds: number;
  maxOutputTokens: number;
  profile: string;
  /** Added to each request's text so that no two are the same. */
  tag: string;
}

export interface OverheadSample {
  /** Client-side wall clock of the request, ms. */
  ms: number;
  status: number;
  id?: string;
  /** The response's performance.provider_latency_ms. */
  providerMs?: number;
  costMicros?: number;
  code?: string;
}

export interface OverheadClientResults {
  samples: OverheadSample[];
  sentInSeconds: number;
}

async function post(s: OverheadClientSettings, i: number): Promise<OverheadSample> {
  const started = performance.now();
  try {
    const res = await fetch(`${s.url}/v1/inference`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'qwen-7b', input: `Summarise event sourcing in one sentence. ${s.tag} ${i}.`, max_output_tokens: s.maxOutputTokens, performance_profile: s.profile }),
    });
    const body = (await res.json()) as { id?: string; performance?: { provider_latency_ms?: number }; billing?: { cost_usd: number }; error?: { code: string } };
    return {
      ms: performance.now() - started,
      status: res.status,
      id: body.id,
      providerMs: body.performance?.provider_latency_ms,
      costMicros: body.billing ? Math.round(body.billing.cost_usd * 1_000_000) : undefined,
      code: body.error?.code,
    };
  } catch (err) {
    return { ms: performance.now() - started, status: 0, code: (err as Error).message };
  }
}

async function run(s: OverheadClientSettings): Promise<OverheadClientResults> {
  const total = Math.round(s.rate * s.seconds);
  const pending: Promise<OverheadSample>[] = [];
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = started + (i * 1000) / s.rate - performance.now();
    if (wait > 1) await sleep(wait);
    pending.push(post(s, i));
  }
  const sentInSeconds = (performance.now() - started) / 1000;
  return { samples: await Promise.all(pending), sentInSeconds };
}

run(workerData as OverheadClientSettings).then((results) => parentPort!.postMessage(results));
