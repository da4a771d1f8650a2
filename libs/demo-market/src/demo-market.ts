import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { anthropicError, answerMessage, messageStreamEvents } from './anthropic-messages';
import { BatchStore } from './batch-store';
import { answerChatCompletion, openAiError, streamChunks, streamWanted, type ChatContext, type WireReply } from './chat-completions';
import { unitHash, warmTokenizers } from './completion-text';
import {
  type DemoMarket,
  type DemoMarketCatalogue,
  type DemoMarketOptions,
  type DemoProviderApi,
  type DemoProviderSpec,
  demoApiKey,
} from './demo-market.types';
import { AnthropicBatches, GeminiBatches } from './family-batches';
import { answerGenerateContent, contentStreamChunks, geminiBadKey, geminiError } from './gemini-content';
import { ProviderState, createMarketState, demoProviders, marketControls, type MarketState } from './market-state';

interface ProviderRuntime {
  readonly spec: DemoProviderSpec;
  readonly api: DemoProviderApi;
  readonly apiKey: string;
  readonly batches: BatchStore | null;
  readonly anthropicBatches: AnthropicBatches | null;
  readonly geminiBatches: GeminiBatches | null;
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
  readonly onRequest?: DemoMarketOptions['onRequest'];
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

/** Each family's failure bodies: a 429 (with its wait), a 5xx, in the provider's own envelope. */
const failureReplies: Readonly<Record<DemoProviderApi, { rateLimited(waitMs: number, message: string): WireReply; serverError(first: boolean): WireReply }>> = {
  openai: {
    rateLimited: (waitMs, message) => ({
      ...openAiError(429, message, 'requests', 'rate_limit_exceeded'),
      headers: { 'retry-after': String(Math.ceil(waitMs / 1000)), 'retry-after-ms': String(Math.round(waitMs)) },
    }),
    serverError: (first) =>
      first ? openAiError(500, 'The server had an error while processing your request.', 'server_error', null) : openAiError(503, 'The engine is currently overloaded.', 'server_error', null),
  },
  anthropic: {
    rateLimited: (waitMs, message) => ({ ...anthropicError(429, 'rate_limit_error', message), headers: { 'retry-after': String(Math.ceil(waitMs / 1000)) } }),
    serverError: (first) => (first ? anthropicError(500, 'api_error', 'Internal server error') : anthropicError(529, 'overloaded_error', 'Overloaded')),
  },
  gemini: {
    rateLimited: (waitMs, message) =>
      geminiError(429, message, [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${Math.ceil(waitMs / 1000)}s` }]),
    serverError: (first) => (first ? geminiError(500, 'An internal error has occurred.') : geminiError(503, 'The model is overloaded. Please try again later.')),
  },
};

function rateLimited(runtime: ProviderRuntime, retryAfterMs: number, message: string): WireReply {
  runtime.state.count('rateLimited');
  return failureReplies[runtime.api].rateLimited(retryAfterMs, message);
}

/** How a live call goes out in one family's dialect: its answer and, streamed, its events. */
interface LiveDialect {
  answer(ctx: ChatContext): WireReply;
  /** null: not streamed. */
  stream: { events(body: unknown): string[]; done?: string } | null;
}

function chatContext(settings: MarketSettings, runtime: ProviderRuntime, now: number): ChatContext {
  return {
    seed: settings.seed,
    catalogue: settings.catalogue,
    provider: runtime.spec,
    completionId: `chatcmpl-${runtime.spec.id}-${runtime.calls}`,
    createdAtSeconds: Math.floor(now / 1000),
  };
}

/** One live call of any family: rate limits and injected failures first, then the answer after its simulated latency. */
async function liveCall(settings: MarketSettings, runtime: ProviderRuntime, request: FastifyRequest, reply: FastifyReply, dialect: LiveDialect) {
  const received = performance.now();
  runtime.state.count('chatCompletions');
  runtime.calls += 1;
  const now = settings.now();
  if (now - runtime.minute.startMs >= 60_000) runtime.minute = { startMs: now, count: 0 };
  runtime.minute.count += 1;
  if (settings.enforceRateLimits && runtime.minute.count > runtime.spec.rateLimits.rpm) {
    const wait = runtime.minute.startMs + 60_000 - now;
    return send(reply, rateLimited(runtime, wait, `Rate limit reached: ${runtime.spec.rateLimits.rpm} requests per minute.`));
  }
  const { rate429, rate5xx, rateTimeout } = runtime.state.failureRates();
  const draw = unitHash(settings.seed, runtime.spec.id, runtime.calls, 'failure');
  if (draw < rate429) {
    return send(reply, rateLimited(runtime, settings.retryAfterMs, 'Rate limit reached; please retry after a short wait.'));
  }
  if (draw < rate429 + rate5xx) {
    runtime.state.count('serverErrors');
    return send(reply, failureReplies[runtime.api].serverError(unitHash(settings.seed, runtime.spec.id, runtime.calls, 'status') < 0.5));
  }
  if (draw < rate429 + rate5xx + rateTimeout) {
    // A hung upstream: never answer; the client's timeout (or stop()) ends the connection.
    runtime.state.count('timedOut');
    reply.hijack();
    await new Promise((resolve) => request.raw.socket.once('close', resolve));
    return;
  }
  const wire = dialect.answer(chatContext(settings, runtime, now));
  const delay = simulatedLatencyMs(settings, runtime, wire.completionTokens ?? 0);
  if (dialect.stream && wire.statusCode === 200) return streamEvents(runtime, reply, wire, dialect.stream, delay, received);
  if (delay > 0) await sleep(delay);
  if (wire.statusCode === 200) runtime.state.count('succeeded');
  // As OpenAI does: the provider's own time, which a client's latency estimates can trust.
  const processing: Record<string, string> = runtime.api === 'openai' ? { 'openai-processing-ms': String(Math.round(performance.now() - received)) } : {};
  return send(reply, { ...wire, headers: { ...wire.headers, ...processing } });
}

function chatCompletion(settings: MarketSettings, runtime: ProviderRuntime, request: FastifyRequest, reply: FastifyReply) {
  const { stream, includeUsage } = streamWanted(request.body);
  return liveCall(settings, runtime, request, reply, {
    answer: (ctx) => answerChatCompletion(ctx, request.body),
    stream: stream ? { events: (body) => streamChunks(body, includeUsage).map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`), done: 'data: [DONE]\n\n' } : null,
  });
}

function anthropicMessage(settings: MarketSettings, runtime: ProviderRuntime, request: FastifyRequest, reply: FastifyReply) {
  const stream = (request.body as { stream?: unknown } | null)?.stream === true;
  return liveCall(settings, runtime, request, reply, {
    answer: (ctx) => answerMessage(ctx, request.body),
    stream: stream ? { events: (body) => messageStreamEvents(body).map(({ event, data }) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`) } : null,
  });
}

/** `{model}:generateContent`, `{model}:streamGenerateContent` (with `alt=sse`) and `{model}:batchGenerateContent`. */
function geminiModelCall(settings: MarketSettings, runtime: ProviderRuntime, request: FastifyRequest<{ Params: { '*': string } }>, reply: FastifyReply) {
  const target = request.params['*'];
  const colon = target.lastIndexOf(':');
  const [model, method] = colon < 0 ? [target, ''] : [target.slice(0, colon), target.slice(colon + 1)];
  if (method === 'batchGenerateContent') {
    return withFamilyBatches(runtime.geminiBatches, reply, geminiError(404, `Provider ${runtime.spec.id} offers no batch mode.`), (batches) => {
      const wire = batches.create(model, request.body);
      if (wire.statusCode === 200) countBatch(runtime, batches.count(((wire.body as { name: string }).name ?? '').replace('batches/', '')));
      return wire;
    });
  }
  if (method !== 'generateContent' && method !== 'streamGenerateContent') return send(reply, geminiError(404, `Method ${method || '(none)'} is not found.`));
  return liveCall(settings, runtime, request, reply, {
    answer: (ctx) => answerGenerateContent(ctx, model, request.body),
    stream: method === 'streamGenerateContent' ? { events: (body) => contentStreamChunks(body).map((chunk) => `data: ${JSON.stringify(chunk)}\r\n\r\n`) } : null,
  });
}

function countBatch(runtime: ProviderRuntime, requests: number): void {
  runtime.state.count('batchesCreated');
  runtime.state.count('batchRequests', requests);
}

/** The reply, counted under `stat` when it succeeded. */
function counted(runtime: ProviderRuntime, stat: 'filesDeleted' | 'batchesDeleted', reply: WireReply): WireReply {
  if (reply.statusCode === 200) runtime.state.count(stat);
  return reply;
}

function withFamilyBatches<B>(batches: B | null, reply: FastifyReply, none: WireReply, use: (batches: B) => WireReply): FastifyReply {
  return send(reply, batches ? use(batches) : none);
}

/**
 * Server-sent events as the family sends them: the first after the time to the first token,
 * the rest spread over the generation time, then the family's end marker if it has one.
 */
async function streamEvents(runtime: ProviderRuntime, reply: FastifyReply, wire: WireReply, stream: NonNullable<LiveDialect['stream']>, delayMs: number, received: number) {
  const events = stream.events(wire.body);
  const { ttftMs, perOutputTokenMs } = runtime.spec.latency;
  const share = ttftMs + perOutputTokenMs * (wire.completionTokens ?? 0);
  const firstMs = share > 0 ? (delayMs * ttftMs) / share : 0;
  if (firstMs > 0) await sleep(firstMs);
  reply.hijack();
  const raw = reply.raw;
  const processing: Record<string, string> = runtime.api === 'openai' ? { 'openai-processing-ms': String(Math.round(performance.now() - received)) } : {};
  raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...processing });
  const gap = events.length > 1 ? (delayMs - firstMs) / (events.length - 1) : 0;
  for (const [i, event] of events.entries()) {
    if (i > 0 && gap > 0) await sleep(gap);
    if (raw.destroyed) return;
    raw.write(event);
  }
  runtime.state.count('succeeded');
  raw.end(stream.done ?? '');
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

/** Each family's credential header, and its answer to a wrong key. */
const authOf: Readonly<Record<DemoProviderApi, { presented(request: FastifyRequest): unknown; refused(): WireReply }>> = {
  openai: {
    presented: (request) => request.headers.authorization?.replace(/^Bearer /, ''),
    refused: () => openAiError(401, 'Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'),
  },
  // The API takes `x-api-key`; SDK 1.x sends the key as a bearer token.
  anthropic: {
    presented: (request) => request.headers['x-api-key'] ?? request.headers.authorization?.replace(/^Bearer /, ''),
    refused: () => anthropicError(401, 'authentication_error', 'invalid x-api-key'),
  },
  gemini: {
    presented: (request) => request.headers['x-goog-api-key'] ?? (request.query as { key?: string } | undefined)?.key,
    refused: geminiBadKey,
  },
};

function buildProviderServer(settings: MarketSettings, runtime: ProviderRuntime): FastifyInstance {
  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 200 * 1024 * 1024 });
  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  const auth = authOf[runtime.api];
  app.addHook('onRequest', async (request, reply) => {
    if (auth.presented(request) !== runtime.apiKey) {
      runtime.state.count('unauthorized');
      return send(reply, auth.refused());
    }
  });
  if (settings.onRequest) {
    const onRequest = settings.onRequest;
    app.addHook('preHandler', async (request) => {
      await onRequest({ providerId: runtime.spec.id, method: request.method, url: request.url, body: request.body });
    });
  }
  if (runtime.api === 'anthropic') addAnthropicRoutes(app, settings, runtime);
  else if (runtime.api === 'gemini') addGeminiRoutes(app, settings, runtime);
  else addOpenAiRoutes(app, settings, runtime);
  return app;
}

function addAnthropicRoutes(app: FastifyInstance, settings: MarketSettings, runtime: ProviderRuntime): void {
  const none = anthropicError(404, 'not_found_error', `Provider ${runtime.spec.id} offers no Message Batches.`);
  const origin = (request: FastifyRequest) => `http://${request.headers.host}`;
  app.post('/v1/messages', (request, reply) => anthropicMessage(settings, runtime, request, reply));
  app.post('/v1/messages/batches', (request, reply) =>
    withFamilyBatches(runtime.anthropicBatches, reply, none, (batches) => {
      const wire = batches.create(request.body);
      if (wire.statusCode === 200) countBatch(runtime, batches.count((wire.body as { id: string }).id));
      return wire;
    }),
  );
  app.get<{ Params: { id: string } }>('/v1/messages/batches/:id', (request, reply) =>
    withFamilyBatches(runtime.anthropicBatches, reply, none, (b) => b.viewAt(b.retrieve(request.params.id), origin(request))),
  );
  app.post<{ Params: { id: string } }>('/v1/messages/batches/:id/cancel', (request, reply) =>
    withFamilyBatches(runtime.anthropicBatches, reply, none, (b) => b.viewAt(b.cancel(request.params.id), origin(request))),
  );
  app.get<{ Params: { id: string } }>('/v1/messages/batches/:id/results', (request, reply) =>
    withFamilyBatches(runtime.anthropicBatches, reply, none, (b) => b.results(request.params.id)),
  );
  app.delete<{ Params: { id: string } }>('/v1/messages/batches/:id', (request, reply) =>
    withFamilyBatches(runtime.anthropicBatches, reply, none, (b) => counted(runtime, 'batchesDeleted', b.delete(request.params.id))),
  );
}

function addGeminiRoutes(app: FastifyInstance, settings: MarketSettings, runtime: ProviderRuntime): void {
  const none = geminiError(404, `Provider ${runtime.spec.id} offers no batch mode.`);
  // An upload's bytes arrive as sent, whatever type the client names (the SDK says JSON).
  void app.register(async (uploads) => {
    uploads.removeAllContentTypeParsers();
    uploads.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    uploads.post<{ Querystring: { upload_id?: string }; Body: string }>('/upload/v1beta/files', (request, reply) =>
      withFamilyBatches(runtime.geminiBatches, reply, none, (batches) => {
        const uploadId = request.query.upload_id;
        if (uploadId !== undefined) return batches.finishUpload(uploadId, request.body ?? '');
        if (request.headers['x-goog-upload-command'] !== 'start') return geminiError(400, 'X-Goog-Upload-Command must be start');
        let metadata: unknown;
        try {
          metadata = JSON.parse(request.body || '{}');
        } catch {
          return geminiError(400, 'Invalid JSON payload received.');
        }
        const { id } = batches.startUpload(metadata);
        return { statusCode: 200, body: {}, headers: { 'x-goog-upload-url': `http://${request.headers.host}/upload/v1beta/files?upload_id=${id}`, 'x-goog-upload-status': 'active' } };
      }),
    );
  });
  app.get<{ Params: { '*': string } }>('/download/v1beta/*', (request, reply) =>
    withFamilyBatches(runtime.geminiBatches, reply, none, (b) => b.download(request.params['*'].replace(/^files\//, '').replace(/:download$/, ''))),
  );
  app.post<{ Params: { '*': string } }>('/v1beta/models/*', (request, reply) => geminiModelCall(settings, runtime, request, reply));
  app.get<{ Params: { '*': string } }>('/v1beta/batches/*', (request, reply) =>
    withFamilyBatches(runtime.geminiBatches, reply, none, (b) => b.retrieve(request.params['*'])),
  );
  app.delete<{ Params: { '*': string } }>('/v1beta/batches/*', (request, reply) =>
    withFamilyBatches(runtime.geminiBatches, reply, none, (b) => counted(runtime, 'batchesDeleted', b.delete(request.params['*']))),
  );
  app.post<{ Params: { '*': string } }>('/v1beta/batches/*', (request, reply) => {
    const [id, method] = request.params['*'].split(':');
    if (method !== 'cancel') return send(reply, geminiError(404, `Method ${method ?? '(none)'} is not found.`));
    return withFamilyBatches(runtime.geminiBatches, reply, none, (b) => b.cancel(id));
  });
}

function addOpenAiRoutes(app: FastifyInstance, settings: MarketSettings, runtime: ProviderRuntime): void {
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
  app.delete<{ Params: { id: string } }>('/v1/files/:id', (request, reply) =>
    withBatches(runtime, reply, (batches) => counted(runtime, 'filesDeleted', batches.deleteFile(request.params.id))),
  );
  app.post<{ Body: Record<string, unknown> }>('/v1/batches', (request, reply) =>
    withBatches(runtime, reply, (batches) => {
      const { reply: wire, requests } = batches.createBatch(request.body ?? {});
      if (wire.statusCode === 200) countBatch(runtime, requests);
      return wire;
    }),
  );
  app.get<{ Params: { id: string } }>('/v1/batches/:id', (request, reply) => withBatches(runtime, reply, (b) => b.batch(request.params.id)));
  app.post<{ Params: { id: string } }>('/v1/batches/:id/cancel', (request, reply) => withBatches(runtime, reply, (b) => b.cancel(request.params.id)));
}

/**
 * Starts one HTTP server on 127.0.0.1 per `demo://` provider of the catalogue, speaking the
 * provider's API (OpenAI-compatible, Anthropic Messages or Gemini).
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
    onRequest: options.onRequest,
  };
  warmTokenizers(new Set(catalogue.models.map((m) => m.tokenizer)));
  const servers: FastifyInstance[] = [];
  const urls: Record<string, string> = {};
  const apiKeys: Record<string, string> = {};
  try {
    for (const [index, spec] of demoProviders(catalogue).entries()) {
      const api = spec.api ?? 'openai';
      const batchOptions = spec.batch
        ? {
            turnaroundMs: spec.batch.turnaroundSeconds * 1000 * turnaroundScale,
            expiresAfterMs: options.batchExpiresAfterMs,
            now: settings.now,
            chatContext: (completionId: string) => ({ seed: settings.seed, catalogue, provider: spec, completionId, createdAtSeconds: Math.floor(settings.now() / 1000) }),
          }
        : null;
      const runtime: ProviderRuntime = {
        spec,
        api,
        apiKey: options.apiKeys?.[spec.id] ?? demoApiKey(spec.id),
        batches: batchOptions && api === 'openai' ? new BatchStore(spec.id, batchOptions) : null,
        anthropicBatches: batchOptions && api === 'anthropic' ? new AnthropicBatches(spec.id, batchOptions) : null,
        geminiBatches: batchOptions && api === 'gemini' ? new GeminiBatches(spec.id, batchOptions) : null,
        state: new ProviderState(state, index),
        calls: 0,
        minute: { startMs: settings.now(), count: 0 },
      };
      const server = buildProviderServer(settings, runtime);
      servers.push(server);
      await server.listen({ host: '127.0.0.1', port: 0 });
      const { port } = server.server.address() as AddressInfo;
      urls[spec.id] = api === 'openai' ? `http://127.0.0.1:${port}/v1` : `http://127.0.0.1:${port}`;
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
