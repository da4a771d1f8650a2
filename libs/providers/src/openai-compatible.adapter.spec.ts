import { type DemoMarket, type DemoMarketCatalogue, startDemoMarket } from '@sluice/demo-market';
import { createServer } from 'node:net';
import { OpenAiCompatibleAdapter } from './openai-compatible.adapter';
import type { ProviderEndpoint } from './provider-port';
import {
  ProviderAuthError,
  ProviderRateLimitedError,
  ProviderRejectedError,
  ProviderServerError,
  ProviderTimeoutError,
  ProviderUnreachableError,
} from './provider-errors';

const catalogue: DemoMarketCatalogue = {
  models: [{ id: 'llama-3.1-8b', tokenizer: 'cl100k_base', contextTokens: 8192, maxOutputTokens: 1024 }],
  providers: [
    {
      id: 'live',
      baseUrl: 'demo://live',
      models: [{ model: 'llama-3.1-8b', providerModel: 'llama3.1-8b' }],
      latency: { ttftMs: 40, perOutputTokenMs: 1, jitterPercent: 0 },
      rateLimits: { rpm: 1000 },
      reliability: 0.99,
    },
    {
      id: 'batchy',
      baseUrl: 'demo://batchy',
      models: [{ model: 'llama-3.1-8b', providerModel: 'meta-llama/Meta-Llama-3.1-8B-Instruct' }],
      latency: { ttftMs: 1000, perOutputTokenMs: 40, jitterPercent: 0 },
      rateLimits: { rpm: 60 },
      reliability: 0.97,
      batch: { turnaroundSeconds: 60 },
    },
  ],
};

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('OpenAiCompatibleAdapter against the demo market', () => {
  // The market answers instantly; the batch turnaround (60 s) is scaled to 300 ms.
  let market: DemoMarket;
  // Generous for answers (a loaded CI machine), short only where a hung provider is the point.
  const adapter = new OpenAiCompatibleAdapter({ timeoutMs: 10_000 });
  const impatient = new OpenAiCompatibleAdapter({ timeoutMs: 300 });
  const endpoint = (id: string): ProviderEndpoint => ({ id, baseUrl: market.providers[id], apiKey: market.apiKeys[id] });
  const ask = (input = 'Summarize inference routing in two sentences.', maxOutputTokens = 64) =>
    adapter.complete({ provider: endpoint('live'), providerModel: 'llama3.1-8b', input, maxOutputTokens });

  beforeAll(async () => {
    market = await startDemoMarket(catalogue, { latencyScale: 0, turnaroundScale: 0.005, retryAfterMs: 2_500 });
  });
  afterAll(() => market.stop());
  beforeEach(() => {
    market.resetStats();
    market.setFailures('live', { rate429: 0, rate5xx: 0, rateTimeout: 0 });
  });

  it('completes a prompt with the provider-reported token usage, in one provider call', async () => {
    const result = await ask();
    expect(result.text.length).toBeGreaterThan(0);
    expect(result.inputTokens).toBe(9);
    expect(result.outputTokens).toBeGreaterThan(0);
    expect(result.outputTokens).toBeLessThanOrEqual(64);
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(market.stats().live.chatCompletions).toBe(1);
  });

  it('reads the provider\'s own processing time (openai-processing-ms), apart from the wall clock', async () => {
    const slow = await startDemoMarket(catalogue, { latencyScale: 2 });
    try {
      const result = await adapter.complete({ provider: { id: 'live', baseUrl: slow.providers.live, apiKey: slow.apiKeys.live }, providerModel: 'llama3.1-8b', input: 'hi', maxOutputTokens: 8 });
      // ttft 40 ms + 1 ms per token, times 2.
      expect(result.processingMs).toBeGreaterThanOrEqual(80);
      expect(result.latencyMs).toBeGreaterThanOrEqual(result.processingMs!);
    } finally {
      await slow.stop();
    }
  });

  it('classifies a 429 as transient with the Retry-After the provider sent, without retrying', async () => {
    market.setFailures('live', { rate429: 1 });
    const error = await ask().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderRateLimitedError);
    expect(error).toMatchObject({ transient: true, retryAfterMs: 2_500, code: 'provider_rate_limited', providerId: 'live' });
    expect(market.stats().live.chatCompletions).toBe(1);
  });

  it('classifies 5xx as a transient server error', async () => {
    market.setFailures('live', { rate5xx: 1 });
    const error = await ask().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderServerError);
    expect(error).toMatchObject({ transient: true });
    expect([500, 503]).toContain((error as ProviderServerError).status);
  });

  it('gives up on a hung provider after its timeout, as a transient timeout', async () => {
    market.setFailures('live', { rateTimeout: 1 });
    const started = performance.now();
    const error = await impatient
      .complete({ provider: endpoint('live'), providerModel: 'llama3.1-8b', input: 'Summarize inference routing in two sentences.', maxOutputTokens: 64 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderTimeoutError);
    expect(error).toMatchObject({ transient: true });
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('classifies connection refused as transient', async () => {
    const port = await closedPort();
    const error = await adapter
      .complete({ provider: { id: 'gone', baseUrl: `http://127.0.0.1:${port}/v1`, apiKey: 'k' }, providerModel: 'm', input: 'hi', maxOutputTokens: 5 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderUnreachableError);
    expect(error).toMatchObject({ transient: true });
  });

  it('classifies a bad key (401) and an unknown model (404) as permanent', async () => {
    const badKey = await adapter
      .complete({ provider: { ...endpoint('live'), apiKey: 'wrong' }, providerModel: 'llama3.1-8b', input: 'hi', maxOutputTokens: 5 })
      .catch((e: unknown) => e);
    expect(badKey).toBeInstanceOf(ProviderAuthError);
    expect(badKey).toMatchObject({ transient: false, status: 401 });
    const unknown = await adapter
      .complete({ provider: endpoint('live'), providerModel: 'llama-3.1-8b', input: 'hi', maxOutputTokens: 5 })
      .catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(ProviderRejectedError);
    expect(unknown).toMatchObject({ transient: false, status: 404, providerCode: 'model_not_found' });
  });

  it('classifies a 400 as permanent and keeps the provider code', async () => {
    const error = await ask('word '.repeat(8000), 500).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderRejectedError);
    expect(error).toMatchObject({ transient: false, status: 400, providerCode: 'context_length_exceeded' });
  });

  it('runs a batch round trip through files and batches, finishing after the turnaround', async () => {
    const batchy = endpoint('batchy');
    const started = performance.now();
    const batchId = await adapter.submitBatch(batchy, [
      { customId: 'obj-1', providerModel: 'meta-llama/Meta-Llama-3.1-8B-Instruct', input: 'first question', maxOutputTokens: 32 },
      { customId: 'obj-2', providerModel: 'meta-llama/Meta-Llama-3.1-8B-Instruct', input: 'second question', maxOutputTokens: 32 },
      { customId: 'obj-3', providerModel: 'not-served', input: 'third question', maxOutputTokens: 32 },
    ]);
    const seen = new Set<string>();
    let progress = await adapter.pollBatch(batchy, batchId);
    while (!progress.finished) {
      seen.add(progress.status);
      await new Promise((resolve) => setTimeout(resolve, 20));
      progress = await adapter.pollBatch(batchy, batchId);
    }
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(seen).toEqual(new Set(['validating', 'in_progress']));
    expect(progress).toMatchObject({ status: 'completed', requestCounts: { total: 3, completed: 2, failed: 1 } });

    const results = await adapter.fetchBatchResults(batchy, batchId);
    const byId = Object.fromEntries(results.map((r) => [r.customId, r]));
    expect(byId['obj-1']).toMatchObject({ ok: true, inputTokens: 2 });
    expect(byId['obj-2']).toMatchObject({ ok: true });
    expect(byId['obj-3']).toMatchObject({ ok: false, error: { code: 'provider_rejected_request', transient: false } });
    expect(market.stats().batchy).toMatchObject({ filesUploaded: 1, batchesCreated: 1, batchRequests: 3, chatCompletions: 0 });
  });

  it('deletes a finished batch\'s input, output and error files at the provider, and a second time is no failure', async () => {
    const batchy = endpoint('batchy');
    const batchId = await adapter.submitBatch(batchy, [
      { customId: 'd-1', providerModel: 'meta-llama/Meta-Llama-3.1-8B-Instruct', input: 'question', maxOutputTokens: 8 },
      { customId: 'd-2', providerModel: 'not-served', input: 'question', maxOutputTokens: 8 },
    ]);
    while (!(await adapter.pollBatch(batchy, batchId)).finished) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await adapter.fetchBatchResults(batchy, batchId)).toHaveLength(2);
    const headers = { authorization: `Bearer ${batchy.apiKey}` };
    const batch = (await (await fetch(`${batchy.baseUrl}/batches/${batchId}`, { headers })).json()) as Record<string, string>;
    const files = [batch.input_file_id, batch.output_file_id, batch.error_file_id];
    const statusOf = async (id: string) => (await fetch(`${batchy.baseUrl}/files/${id}`, { headers })).status;
    expect(await Promise.all(files.map(statusOf))).toEqual([200, 200, 200]);

    await adapter.deleteBatch(batchy, batchId);
    expect(await Promise.all(files.map(statusOf))).toEqual([404, 404, 404]);
    await expect(adapter.deleteBatch(batchy, batchId)).resolves.toBeUndefined();
  });

  it('refuses to read results of a batch that is still running', async () => {
    const batchy = endpoint('batchy');
    const batchId = await adapter.submitBatch(batchy, [{ customId: 'x', providerModel: 'meta-llama/Meta-Llama-3.1-8B-Instruct', input: 'q', maxOutputTokens: 8 }]);
    await expect(adapter.fetchBatchResults(batchy, batchId)).rejects.toThrow(/not finished/);
  });
});

describe('OpenAiCompatibleAdapter: what the provider is sent, streamed calls', () => {
  let market: DemoMarket;
  const adapter = new OpenAiCompatibleAdapter({ timeoutMs: 2_000 });
  const endpoint = (id: string): ProviderEndpoint => ({ id, baseUrl: market.providers[id], apiKey: market.apiKeys[id] });

  beforeAll(async () => {
    market = await startDemoMarket(catalogue, { latencyScale: 0 });
  });
  afterAll(() => market.stop());

  it('sends every generation parameter under its chat-completions name', async () => {
    const bodies: unknown[] = [];
    const server = (await import('node:http')).createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        bodies.push(JSON.parse(raw));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }], usage: { prompt_tokens: 500_000, completion_tokens: 1, total_tokens: 500_001 } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const result = await adapter.complete({
        provider: { id: 'capture', baseUrl: `http://127.0.0.1:${port}/v1`, apiKey: 'k' },
        providerModel: 'm',
        input: [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: 'hello' },
          { role: 'user', content: 'again' },
        ],
        maxOutputTokens: 77,
        params: { temperature: 1.3, topP: 0.5, stop: ['\n\n'], seed: 7, presencePenalty: 0.1, frequencyPenalty: -0.2, responseFormat: { type: 'json_object' }, user: 'u-1' },
      });
      expect(bodies[0]).toEqual({
        model: 'm',
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: 'hello' },
          { role: 'user', content: 'again' },
        ],
        max_tokens: 77,
        temperature: 1.3,
        top_p: 0.5,
        stop: ['\n\n'],
        seed: 7,
        presence_penalty: 0.1,
        frequency_penalty: -0.2,
        response_format: { type: 'json_object' },
        user: 'u-1',
      });
      // Usage is what the provider reports, never a count of our own.
      expect(result).toMatchObject({ inputTokens: 500_000, outputTokens: 1 });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('says so when the provider reports no usage, rather than failing a served call', async () => {
    const server = (await import('node:http')).createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }] }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const result = await adapter.complete({ provider: { id: 'quiet', baseUrl: `http://127.0.0.1:${port}/v1`, apiKey: 'k' }, providerModel: 'm', input: 'hi', maxOutputTokens: 5 });
      expect(result).toMatchObject({ text: 'ok', usageUnreported: true, inputTokens: 0, outputTokens: 0 });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('streams the same text and usage a plain call returns, piece by piece', async () => {
    const request = { provider: endpoint('live'), providerModel: 'llama3.1-8b', input: 'Explain provider failover briefly.', maxOutputTokens: 64 };
    const plain = await adapter.complete(request);
    const pieces: string[] = [];
    const streamed = await adapter.stream(request, (piece) => pieces.push(piece));
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join('')).toBe(plain.text);
    expect(streamed).toMatchObject({ text: plain.text, inputTokens: plain.inputTokens, outputTokens: plain.outputTokens, finishReason: plain.finishReason });
    expect(streamed.firstTokenMs).toBeGreaterThanOrEqual(0);
  });

  it('classifies a refused streamed call before any text, as a plain call', async () => {
    const pieces: string[] = [];
    await expect(adapter.stream({ provider: endpoint('live'), providerModel: 'no-such-model', input: 'x', maxOutputTokens: 8 }, (p) => pieces.push(p))).rejects.toMatchObject({
      code: 'provider_rejected_request',
    });
    expect(pieces).toEqual([]);
  });
});
