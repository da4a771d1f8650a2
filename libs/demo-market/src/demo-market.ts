import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchStore } from './batch-store';
import { answerChatCompletion, openAiError, streamChunks, streamWanted, type WireReply } from './chat-completions';
import { unitHash } from './completion-text';
import {
  type DemoMarket,
  type DemoMarketCatalogue,
  type DemoMarketOptions,
  type DemoProviderSpec,
  demoApiKey,
} from './demo-market.types';
import { ProviderState, createMarketState, demoProviders, marketControls, type MarketState } from './market-state';

interface ProviderRuntime {
  readonly spec: DemoProviderSpec;
  readonly apiKey: string;
  readonly batches: BatchStore | null;
  readonly state: ProviderState;
  calls: number;
  minute: { startMs: number; count: number };
}

interface MarketSettings {
  readonly seed: string;
  readonly catalogue: DemoMarketCatalogue;
  readonly latencyScale: number;
  readonly retryAfterMs: number;
  readonly enforceRateLimits: boolean;
  readonly now: () => number;
}

function send(reply: FastifyReply, wire: WireReply): FastifyReply {
  return reply
    .code(wire.statusCode)
    .headers(wire.headers ?? {})
    .send(wire.body);
}

function simulatedLatencyMs(settings: MarketSettings, runtime: ProviderRuntime, completionTokens: number): number {
  const { ttftMs, perOutputTokenMs, jitterPercent } = runtime.spec.latency;
  const jitter = 1 + (jitterPercent / 100) * (2 * unitHash(settings.seed, runtime.spec.id, runtime.calls, 'jitter') - 1);
  return (ttftMs + perOutputTokenMs * completionTokens) * jitter * settings.latencyScale;
}

function rateLimited(settings: MarketSettings, runtime: ProviderRuntime, retryAfterMs: number, message: string): WireReply {
  runtime.state.count('rateLimited');
  return {
    ...openAiError(429, message, 'requests', 'rate_limit_exceeded'),
    headers: { 'retry-after': String(Math.ceil(retryAfterMs / 1000)), 'retry-after-ms': String(Math.round(retryAfterMs)) },
  };
}

async function chatCompletion(settings: MarketSettings, runtime: ProviderRuntime, request: FastifyRequest, reply: FastifyReply) {
  const received = performance.now();
  runtime.state.count('chatCompletions');
  runtime.calls += 1;
  const now = settings.now();
  if (now - runtime.minute.startMs >= 60_000) runtime.minute = { startMs: now, count: 0 };
  runtime.minute.count += 1;
  if (settings.enforceRateLimits && runtime.minute.count > runtime.spec.rateLimits.rpm) {
    const wait = runtime.minute.startMs + 60_000 - now;
    return send(reply, rateLimited(settings, runtime, wait, `Rate limit reached: ${runtime.spec.rateLimits.rpm} requests per minute.`));
  }
  const { rate429, rate5xx, rateTimeout } = runtime.state.failureRates();
  const draw = unitHash(settings.seed, runtime.spec.id, runtime.calls, 'failure');
  if (draw < rate429) {
    return send(reply, rateLimited(settings, runtime, settings.retryAfterMs, 'Rate limit reached; please retry after a short wait.'));
  }
  if (draw < rate429 + rate5xx) {
    runtime.state.count('serverErrors');
    const status = unitHash(settings.seed, runtime.spec.id, runtime.calls, 'status') < 0.5 ? 500 : 503;
    return send(reply, openAiError(status, status === 500 ? 'The server had an error while processing your request.' : 'The engine is currently overloaded.', 'server_error', null));
  }
  if (draw < rate429 + rate5xx + rateTimeout) {
    // A hung upstream: never answer; the client's timeout (or stop()) ends the connection.
    runtime.state.count('timedOut');
    reply.hijack();
    await new Promise((resolve) => request.raw.socket.once('close', resolve));
    return;
  }
  const wire = answerChatCompletion(
    {
      seed: settings.seed,
      catalogue: settings.catalogue,
      provider: runtime.spec,
      completionId: `chatcmpl-${runtime.spec.id}-${runtime.calls}`,
      createdAtSeconds: Math.floor(now / 1000),
    },
    request.body,
  );
  const delay = simulatedLatencyMs(settings, runtime, wire.completionTokens ?? 0);
  const { stream, includeUsage } = streamWanted(request.body);
  if (stream && wire.statusCode === 200) return streamCompletion(runtime, reply, wire, includeUsage, delay, received);
  if (delay > 0) await sleep(delay);
  if (wire.statusCode === 200) runtime.state.count('succeeded');
  // As OpenAI does: the provider's own time, which a client's latency estimates can trust.
  return send(reply, { ...wire, headers: { ...wire.headers, 'openai-processing-ms': String(Math.round(performance.now() - received)) } });
}

/**
 * Server-sent events as OpenAI sends them: the first chunk after the time to the first token,
 * the rest spread over the generation time, then `data: [DONE]`.
 */
async function streamCompletion(runtime: ProviderRuntime, reply: FastifyReply, wire: WireReply, includeUsage: boolean, delayMs: number, received: number) {
  const chunks = streamChunks(wire.body, includeUsage);
  const { ttftMs, perOutputTokenMs } = runtime.spec.latency;
  const share = ttftMs + perOutputTokenMs * (wire.completionTokens ?? 0);
  const firstMs = share > 0 ? (delayMs * ttftMs) / share : 0;
  if (firstMs > 0) await sleep(firstMs);
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'openai-processing-ms': String(Math.round(performance.now() - received)) });
  const gap = chunks.length > 1 ? (delayMs - firstMs) / (chunks.length - 1) : 0;
  for (const [i, chunk] of chunks.entries()) {
    if (i > 0 && gap > 0) await sleep(gap);
    if (raw.destroyed) return;
    raw.write(`data: ${JSON.stringify(chunk)}\n\n`);
  }
  runtime.state.count('succeeded');
  raw.end('data: [DONE]\n\n');
}

function withBatches(runtime: ProviderRuntime, reply: FastifyReply, use: (batches: BatchStore) => WireReply): FastifyReply {
  if (!runtime.batches) {
    return send(reply, openAiError(404, `Provider ${runtime.spec.id} offers no batch API.`, 'invalid_request_error', 'unknown_url'));
  }
  return send(reply, use(runtime.batches));
}

async function uploadFile(runtime: ProviderRuntime, request: FastifyRequest, reply: FastifyReply) {
  // undici (inside Node) parses multipart bodies; the SDK sends `file` and `purpose`.
  const form = await new Response(request.body as Buffer, {
    headers: { 'content-type': String(request.headers['content-type']) },
  }).formData();
  const file = form.get('file');
  const purpose = form.get('purpose');
  if (!(file instanceof Blob) || typeof purpose !== 'string') {
    return send(reply, openAiError(400, 'multipart fields "file" and "purpose" are required', 'invalid_request_error', 'invalid_request'));
  }
  const content = await file.text();
  const filename = 'name' in file ? String(file.name) : 'upload.jsonl';
  return withBatches(runtime, reply, (batches) => {
    runtime.state.count('filesUploaded');
    return { statusCode: 200, body: batches.uploadFile(filename, purpose, content) };
  });
}

function buildProviderServer(settings: MarketSettings, runtime: ProviderRuntime): FastifyInstance {
  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 200 * 1024 * 1024 });
  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.addHook('onRequest', async (request, reply) => {
    if (request.headers.authorization !== `Bearer ${runtime.apiKey}`) {
      runtime.state.count('unauthorized');
      return send(reply, openAiError(401, 'Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'));
    }
  });
  app.post('/v1/chat/completions', (request, reply) => chatCompletion(settings, runtime, request, reply));
  app.post('/v1/files', (request, reply) => uploadFile(runtime, request, reply));
  app.get<{ Params: { id: string } }>('/v1/files/:id', (request, reply) =>
    withBatches(runtime, reply, (batches) => {
      const file = batches.file(request.params.id);
      return file ? { statusCode: 200, body: file } : openAiError(404, `No such File object: ${request.params.id}`, 'invalid_request_error', 'not_found');
    }),
  );
  app.get<{ Params: { id: string } }>('/v1/files/:id/content', (request, reply) =>
    withBatches(runtime, reply, (batches) => {
      const content = batches.fileContent(request.params.id);
      if (content === undefined) return openAiError(404, `No such File object: ${request.params.id}`, 'invalid_request_error', 'not_found');
      return { statusCode: 200, body: content, headers: { 'content-type': 'application/octet-stream' } };
    }),
  );
  app.post<{ Body: Record<string, unknown> }>('/v1/batches', (request, reply) =>
    withBatches(runtime, reply, (batches) => {
      const { reply: wire, requests } = batches.createBatch(request.body ?? {});
      if (wire.statusCode === 200) {
        runtime.state.count('batchesCreated');
        runtime.state.count('batchRequests', requests);
      }
      return wire;
    }),
  );
  app.get<{ Params: { id: string } }>('/v1/batches/:id', (request, reply) => withBatches(runtime, reply, (b) => b.batch(request.params.id)));
  app.post<{ Params: { id: string } }>('/v1/batches/:id/cancel', (request, reply) => withBatches(runtime, reply, (b) => b.cancel(request.params.id)));
  return app;
}

/**
 * Starts one OpenAI-compatible HTTP server on 127.0.0.1 per `demo://` provider of the catalogue.
 * Answers, latencies and injected failures are deterministic for a given seed and call order.
 * `state` holds the counters and failure rates (given by a thread that runs the market on a
 * worker, see startDemoMarketThread).
 */
export async function startDemoMarket(
  catalogue: DemoMarketCatalogue,
  options: DemoMarketOptions = {},
  state: MarketState = createMarketState(catalogue, options, false),
): Promise<DemoMarket> {
  const latencyScale = options.latencyScale ?? 1;
  const turnaroundScale = options.turnaroundScale ?? latencyScale;
  const settings: MarketSettings = {
    seed: options.seed ?? 'sluice-demo',
    catalogue,
    latencyScale,
    retryAfterMs: options.retryAfterMs ?? 1_000,
    enforceRateLimits: options.enforceRateLimits ?? false,
    now: options.now ?? Date.now,
  };
  const servers: FastifyInstance[] = [];
  const urls: Record<string, string> = {};
  const apiKeys: Record<string, string> = {};
  try {
    for (const [index, spec] of demoProviders(catalogue).entries()) {
      const batches = spec.batch
        ? new BatchStore(spec.id, {
            turnaroundMs: spec.batch.turnaroundSeconds * 1000 * turnaroundScale,
            now: settings.now,
            chatContext: (completionId) => ({ seed: settings.seed, catalogue, provider: spec, completionId, createdAtSeconds: Math.floor(settings.now() / 1000) }),
          })
        : null;
      const runtime: ProviderRuntime = {
        spec,
        apiKey: options.apiKeys?.[spec.id] ?? demoApiKey(spec.id),
        batches,
        state: new ProviderState(state, index),
        calls: 0,
        minute: { startMs: settings.now(), count: 0 },
      };
      const server = buildProviderServer(settings, runtime);
      servers.push(server);
      await server.listen({ host: '127.0.0.1', port: 0 });
      const { port } = server.server.address() as AddressInfo;
      urls[spec.id] = `http://127.0.0.1:${port}/v1`;
      apiKeys[spec.id] = runtime.apiKey;
    }
  } catch (err) {
    await Promise.all(servers.map((s) => s.close()));
    throw err;
  }

  return {
    providers: urls,
    apiKeys,
    ...marketControls(catalogue, state),
    async stop() {
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}
