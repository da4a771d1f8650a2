import { type DemoMarket, type DemoMarketCatalogue, type ReceivedRequest, startDemoMarket } from '@sluice/demo-market';
import { APIError } from '@anthropic-ai/sdk';
import { AnthropicAdapter, fromAnthropicCustomId, toAnthropicCustomId } from './anthropic.adapter';
import {
  ProviderAuthError,
  ProviderRateLimitedError,
  ProviderRejectedError,
  ProviderServerError,
  ProviderTimeoutError,
  ProviderUnsupportedParamsError,
} from './provider-errors';
import type { CompletionRequest, ProviderEndpoint } from './provider-port';

const catalogue: DemoMarketCatalogue = {
  models: [{ id: 'claude-haiku', tokenizer: 'cl100k_base', contextTokens: 8192, maxOutputTokens: 1024 }],
  providers: [
    {
      id: 'claude',
      api: 'anthropic',
      baseUrl: 'demo://claude',
      models: [{ model: 'claude-haiku', providerModel: 'claude-haiku-4-5' }],
      latency: { ttftMs: 40, perOutputTokenMs: 1, jitterPercent: 0 },
      rateLimits: { rpm: 1000 },
      reliability: 0.99,
      batch: { turnaroundSeconds: 60 },
    },
  ],
};

describe('AnthropicAdapter through @anthropic-ai/sdk against the demo market (Messages wire format)', () => {
  let market: DemoMarket;
  let clock = 0;
  const received: ReceivedRequest[] = [];
  const adapter = new AnthropicAdapter({ timeoutMs: 300 });
  const endpoint = (): ProviderEndpoint => ({ id: 'claude', baseUrl: market.providers.claude, apiKey: market.apiKeys.claude });
  const request = (over: Partial<CompletionRequest> = {}): CompletionRequest => ({
    provider: endpoint(),
    providerModel: 'claude-haiku-4-5',
    input: 'Summarize inference routing in two sentences.',
    maxOutputTokens: 64,
    ...over,
  });

  beforeAll(async () => {
    market = await startDemoMarket(catalogue, { latencyScale: 0, turnaroundScale: 1, retryAfterMs: 3_000, now: () => clock, onRequest: (r) => received.push(r) });
  });
  afterAll(() => market.stop());
  beforeEach(() => {
    received.length = 0;
    market.setFailures('claude', { rate429: 0, rate5xx: 0, rateTimeout: 0 });
  });

  it('sends system text as `system`, the turns as messages and each parameter by its Messages API name', async () => {
    const result = await adapter.complete(
      request({
        input: [
          { role: 'system', content: 'Be brief.' },
          { role: 'developer', content: 'Answer in English.' },
          { role: 'user', content: 'Hello there' },
          { role: 'assistant', content: 'Hi.' },
          { role: 'user', content: 'Route this.' },
        ],
        maxOutputTokens: 300,
        params: { temperature: 0.3, topP: 0.5, stop: ['END'], user: 'end-user-7', responseFormat: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } } },
      }),
    );
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: 'POST', url: '/v1/messages' });
    expect(received[0].body).toEqual({
      model: 'claude-haiku-4-5',
      max_tokens: 300,
      system: 'Be brief.\n\nAnswer in English.',
      messages: [
        { role: 'user', content: 'Hello there' },
        { role: 'assistant', content: 'Hi.' },
        { role: 'user', content: 'Route this.' },
      ],
      temperature: 0.3,
      top_p: 0.5,
      stop_sequences: ['END'],
      metadata: { user_id: 'end-user-7' },
      output_config: { format: { type: 'json_schema', schema: { type: 'object' } } },
    });
    expect(result.text.length).toBeGreaterThan(0);
    expect(result.outputTokens).toBeGreaterThan(0);
    expect(result.finishReason).toBe('stop');
  });

  it("reports usage as Anthropic does (input_tokens plus cache tokens) and stops at max_tokens with 'length'", async () => {
    const result = await adapter.complete(request({ maxOutputTokens: 3 }));
    expect(result.inputTokens).toBe(9);
    expect(result.outputTokens).toBeLessThanOrEqual(3);
    expect(result.finishReason).toBe('length');
  });

  it('refuses by name, before any call, what the Messages API lacks', async () => {
    const error = await adapter.complete(request({ params: { seed: 7, frequencyPenalty: 0.2, responseFormat: { type: 'json_object' } } })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderUnsupportedParamsError);
    expect((error as Error).message).toMatch(/seed, frequency_penalty, response_format json_object/);
    expect(received).toHaveLength(0);
  });

  it('streams message_start … message_stop; the deltas join to the plain answer, with the same usage', async () => {
    const plain = await adapter.complete(request());
    const pieces: string[] = [];
    const streamed = await adapter.stream(request(), (t) => pieces.push(t));
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join('')).toBe(plain.text);
    expect(streamed).toMatchObject({ text: plain.text, inputTokens: plain.inputTokens, outputTokens: plain.outputTokens, finishReason: plain.finishReason });
    expect(received[1].body).toMatchObject({ stream: true });
  });

  it('classifies 429 (with Retry-After), 500 and 529 overloaded as transient, without retrying', async () => {
    market.setFailures('claude', { rate429: 1 });
    const limited = await adapter.complete(request()).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(ProviderRateLimitedError);
    expect(limited).toMatchObject({ transient: true, retryAfterMs: 3_000 });
    expect(received).toHaveLength(1);
    market.setFailures('claude', { rate429: 0, rate5xx: 1 });
    const statuses = new Set<number | undefined>();
    for (let i = 0; i < 8; i += 1) {
      const error = await adapter.complete(request()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProviderServerError);
      statuses.add((error as ProviderServerError).status);
    }
    expect([...statuses].sort()).toEqual([500, 529]);
  });

  it('gives up on a hung provider after its timeout, as a transient timeout', async () => {
    market.setFailures('claude', { rateTimeout: 1 });
    const error = await adapter.complete(request()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderTimeoutError);
  });

  it('makes a bad key an auth error that names no key, and a 400 a permanent rejection in the provider\'s words', async () => {
    const auth = await adapter.complete(request({ provider: { ...endpoint(), apiKey: 'sk-ant-wrong-key' } })).catch((e: unknown) => e);
    expect(auth).toBeInstanceOf(ProviderAuthError);
    expect((auth as Error).message).not.toContain('sk-ant-wrong-key');
    const tooLong = await adapter.complete(request({ maxOutputTokens: 5_000 })).catch((e: unknown) => e);
    expect(tooLong).toBeInstanceOf(ProviderRejectedError);
    expect(tooLong).toMatchObject({ transient: false, status: 400, providerCode: 'invalid_request_error' });
    expect((tooLong as Error).message).toMatch(/max_tokens/);
    const unknown = await adapter.complete(request({ providerModel: 'claude-nope' })).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ status: 404, transient: false });
  });

  it('keeps a custom id that Message Batches would refuse, both ways', () => {
    for (const id of ['0b6c9f3e-1d2a-4c5b-9e8f-7a6b5c4d3e2f#3', 'a_b#c d', '__']) {
      const wire = toAnthropicCustomId(id);
      expect(wire).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
      expect(fromAnthropicCustomId(wire)).toBe(id);
    }
  });

  it('runs a Message Batch: in progress, then ended, a refused item failing alone', async () => {
    clock = 1_000_000;
    const items = [
      { customId: 'obj-1#1', providerModel: 'claude-haiku-4-5', input: 'First question?', maxOutputTokens: 32, params: { temperature: 0.2 } },
      { customId: 'obj-2#1', providerModel: 'claude-haiku-4-5', input: [{ role: 'system' as const, content: 'Terse.' }, { role: 'user' as const, content: 'Second?' }], maxOutputTokens: 32 },
      { customId: 'obj-3#1', providerModel: 'claude-haiku-4-5', input: 'Too long an answer', maxOutputTokens: 9_999 },
    ];
    const batchId = await adapter.submitBatch(endpoint(), items);
    expect(received[0]).toMatchObject({ url: '/v1/messages/batches' });
    expect((received[0].body as { requests: unknown[] }).requests[1]).toEqual({
      custom_id: toAnthropicCustomId('obj-2#1'),
      params: { model: 'claude-haiku-4-5', max_tokens: 32, system: 'Terse.', messages: [{ role: 'user', content: 'Second?' }] },
    });
    expect(await adapter.pollBatch(endpoint(), batchId)).toMatchObject({ status: 'in_progress', finished: false, requestCounts: { total: 3 } });
    clock += 60_000;
    expect(await adapter.pollBatch(endpoint(), batchId)).toMatchObject({ status: 'ended', finished: true, requestCounts: { total: 3, completed: 2, failed: 1 } });
    const results = await adapter.fetchBatchResults(endpoint(), batchId);
    expect(results.map((r) => [r.customId, r.ok])).toEqual([
      ['obj-1#1', true],
      ['obj-2#1', true],
      ['obj-3#1', false],
    ]);
    const failed = results[2];
    expect(!failed.ok && failed.error).toBeInstanceOf(ProviderRejectedError);
    const first = results[0];
    expect(first.ok && first.inputTokens).toBe(3);

    await adapter.deleteBatch(endpoint(), batchId);
    expect(received.at(-1)).toMatchObject({ method: 'DELETE', url: `/v1/messages/batches/${batchId}` });
    await expect(adapter.pollBatch(endpoint(), batchId)).rejects.toMatchObject({ status: 404 });
    await expect(adapter.deleteBatch(endpoint(), batchId)).resolves.toBeUndefined();
  });

  it('refuses to delete a Message Batch still in progress', async () => {
    clock = 1_500_000;
    const batchId = await adapter.submitBatch(endpoint(), [{ customId: 'r#1', providerModel: 'claude-haiku-4-5', input: 'hi', maxOutputTokens: 8 }]);
    await expect(adapter.deleteBatch(endpoint(), batchId)).rejects.toMatchObject({ status: 400 });
    expect(await adapter.pollBatch(endpoint(), batchId)).toMatchObject({ status: 'in_progress' });
  });

  it('cancels a running Message Batch: canceling, then ended with nothing run', async () => {
    clock = 2_000_000;
    const batchId = await adapter.submitBatch(endpoint(), [{ customId: 'c#1', providerModel: 'claude-haiku-4-5', input: 'hi', maxOutputTokens: 8 }]);
    expect(await adapter.cancelBatch(endpoint(), batchId)).toMatchObject({ status: 'canceling', finished: false });
    clock += 1;
    expect(await adapter.pollBatch(endpoint(), batchId)).toMatchObject({ status: 'ended', finished: true, requestCounts: { total: 1, completed: 0, failed: 0 } });
    expect(await adapter.fetchBatchResults(endpoint(), batchId)).toEqual([]);
  });

  it('lets a Message Batch that outlives its deadline end with every request expired, none returned', async () => {
    const expiring = await startDemoMarket(catalogue, { latencyScale: 0, turnaroundScale: 1, batchExpiresAfterMs: 30_000, now: () => clock });
    try {
      clock = 4_000_000;
      const provider = { id: 'claude', baseUrl: expiring.providers.claude, apiKey: expiring.apiKeys.claude };
      const batchId = await adapter.submitBatch(provider, [{ customId: 'x#1', providerModel: 'claude-haiku-4-5', input: 'hi', maxOutputTokens: 8 }]);
      clock += 30_000;
      expect(await adapter.pollBatch(provider, batchId)).toMatchObject({ status: 'ended', finished: true, requestCounts: { total: 1, completed: 0, failed: 0 } });
      expect(await adapter.fetchBatchResults(provider, batchId)).toEqual([]);
    } finally {
      await expiring.stop();
    }
  });

  it("classifies an `error` event in the middle of a stream by its type: overloaded is Anthropic's 529", () => {
    // As the SDK's stream throws it on `event: error`.
    const midStream = new APIError(undefined, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, undefined, new Headers(), 'overloaded_error');
    expect(adapter.classifyError('claude', midStream)).toMatchObject({ code: 'provider_server_error', transient: true, status: 529 });
    const refused = new APIError(undefined, { type: 'error', error: { type: 'invalid_request_error', message: 'bad' } }, undefined, new Headers(), 'invalid_request_error');
    expect(adapter.classifyError('claude', refused)).toMatchObject({ code: 'provider_rejected_request', transient: false, status: 400 });
  });
});
