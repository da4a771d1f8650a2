/**
 * The real-time overhead bench's client, on a worker thread so that its HTTP work does not
 * share the exchange's event loop: POST /v1/inference (or /v1/chat/completions, streamed or
 * not) at a fixed arrival rate (open loop:
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
  /** POST /v1/inference, or OpenAI's /v1/chat/completions. */
  endpoint: 'inference' | 'chat';
  /** Chat only: stream the answer (server-sent events, with the usage chunk). */
  stream: boolean;
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
  /** A stream: when its first text arrived, client-side ms. */
  firstTextMs?: number;
}

interface Performance {
  performance?: { provider_latency_ms?: number };
  billing?: { cost_usd: number };
  error?: { code: string };
}

const CHAT_ID_PREFIX = 'chatcmpl-';

function requestOf(s: OverheadClientSettings, i: number): { path: string; body: unknown } {
  const text = `Summarise event sourcing in one sentence. ${s.tag} ${i}.`;
  if (s.endpoint === 'inference') return { path: '/v1/inference', body: { model: 'qwen-7b', input: text, max_output_tokens: s.maxOutputTokens, performance_profile: s.profile } };
  return {
    path: '/v1/chat/completions',
    body: {
      model: 'qwen-7b',
      messages: [{ role: 'user', content: text }],
      max_tokens: s.maxOutputTokens,
      performance_profile: s.profile,
      ...(s.stream ? { stream: true, stream_options: { include_usage: true } } : {}),
    },
  };
}

/** Reads a chat stream to its end: when the first text came, and the closing chunk's extensions. */
async function readStream(res: Response, started: number): Promise<{ firstTextMs?: number; id?: string; last?: Performance }> {
  const decoder = new TextDecoder();
  let buffered = '';
  let firstTextMs: number | undefined;
  let id: string | undefined;
  let last: Performance | undefined;
  for await (const bytes of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(bytes, { stream: true });
    let end: number;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const data = buffered.slice(0, end).replace(/^data: /, '');
      buffered = buffered.slice(end + 2);
      if (data === '[DONE]') continue;
      const chunk = JSON.parse(data) as Performance & { id?: string; choices?: { delta?: { content?: string } }[] };
      id ??= chunk.id;
      if (firstTextMs === undefined && chunk.choices?.[0]?.delta?.content) firstTextMs = performance.now() - started;
      if (chunk.error || chunk.billing) last = chunk;
    }
  }
  return { firstTextMs, id, last };
}

export interface OverheadClientResults {
  samples: OverheadSample[];
  sentInSeconds: number;
}

async function post(s: OverheadClientSettings, i: number): Promise<OverheadSample> {
  const started = performance.now();
  const { path, body } = requestOf(s, i);
  try {
    const res = await fetch(`${s.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    let answer: Performance & { id?: string };
    let firstTextMs: number | undefined;
    if (s.stream && res.status === 200) {
      const read = await readStream(res, started);
      answer = { ...read.last, id: read.id };
      firstTextMs = read.firstTextMs;
    } else {
      answer = (await res.json()) as Performance & { id?: string };
    }
    return {
      ms: performance.now() - started,
      status: res.status,
      // The object id billing charges (a chat completion's id carries OpenAI's prefix).
      id: answer.id?.startsWith(CHAT_ID_PREFIX) ? answer.id.slice(CHAT_ID_PREFIX.length) : answer.id,
      providerMs: answer.performance?.provider_latency_ms,
      costMicros: answer.billing ? Math.round(answer.billing.cost_usd * 1_000_000) : undefined,
      code: answer.error?.code,
      ...(firstTextMs !== undefined ? { firstTextMs } : {}),
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
