import { type DemoMarket, type DemoMarketCatalogue, type ReceivedRequest, startDemoMarket } from '@sluice/demo-market';
import { GeminiAdapter } from './gemini.adapter';
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
  models: [{ id: 'gemini-flash', tokenizer: 'cl100k_base', contextTokens: 8192, maxOutputTokens: 1024 }],
  providers: [
    {
      id: 'gem',
      api: 'gemini',
      baseUrl: 'demo://gem',
      models: [{ model: 'gemini-flash', providerModel: 'gemini-2.5-flash' }],
      latency: { ttftMs: 40, perOutputTokenMs: 1, jitterPercent: 0 },
      rateLimits: { rpm: 1000 },
      reliability: 0.99,
      batch: { turnaroundSeconds: 60 },
    },
  ],
};

describe('GeminiAdapter through @google/genai against the demo market (Gemini API wire format)', () => {
  let market: DemoMarket;
  let clock = 0;
  const received: ReceivedRequest[] = [];
  const adapter = new GeminiAdapter({ timeoutMs: 300 });
  const endpoint = (): ProviderEndpoint => ({ id: 'gem', baseUrl: market.providers.gem, apiKey: market.apiKeys.gem });
  const request = (over: Partial<CompletionRequest> = {}): CompletionRequest => ({
    provider: endpoint(),
    providerModel: 'gemini-2.5-flash',
    input: 'Summarize inference routing in two sentences.',
    maxOutputTokens: 300,
    ...over,
  });

  beforeAll(async () => {
    market = await startDemoMarket(catalogue, { latencyScale: 0, turnaroundScale: 1, retryAfterMs: 4_000, now: () => clock, onRequest: (r) => received.push(r) });
  });
  afterAll(() => market.stop());
  beforeEach(() => {
    received.length = 0;
    market.setFailures('gem', { rate429: 0, rate5xx: 0, rateTimeout: 0 });
  });

  it('sends systemInstruction, multi-turn contents and generationConfig by the names the Gemini API uses', async () => {
    const result = await adapter.complete(
      request({
        input: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hello there' },
          { role: 'assistant', content: 'Hi.' },
          { role: 'user', content: 'Route this.' },
        ],
        maxOutputTokens: 250,
        params: { temperature: 1.3, topP: 0.5, stop: ['END'], seed: 42, presencePenalty: 0.1, frequencyPenalty: 0.2, responseFormat: { type: 'json_object' } },
      }),
    );
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: 'POST', url: '/v1beta/models/gemini-2.5-flash:generateContent' });
    expect(received[0].body).toEqual({
      contents: [
        { role: 'user', parts: [{ text: 'Hello there' }] },
        { role: 'model', parts: [{ text: 'Hi.' }] },
        { role: 'user', parts: [{ text: 'Route this.' }] },
      ],
      systemInstruction: { parts: [{ text: 'Be brief.' }], role: 'user' },
      generationConfig: {
        maxOutputTokens: 250,
        temperature: 1.3,
        topP: 0.5,
        stopSequences: ['END'],
        seed: 42,
        presencePenalty: 0.1,
        frequencyPenalty: 0.2,
        responseMimeType: 'application/json',
      },
    });
    expect(result.text.length).toBeGreaterThan(0);
    expect(result.finishReason).toBe('stop');
  });

  it('passes a JSON schema as responseJsonSchema, and refuses by name what the API lacks, before any call', async () => {
    await adapter.complete(request({ params: { responseFormat: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } } } }));
    expect((received[0].body as { generationConfig: unknown }).generationConfig).toMatchObject({ responseMimeType: 'application/json', responseJsonSchema: { type: 'object' } });
    const refused = await adapter.complete(request({ params: { user: 'u-1' } })).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ProviderUnsupportedParamsError);
    expect((refused as Error).message).toMatch(/gemini API has no user/);
    expect(received).toHaveLength(1);
  });

  it('reports usage from usageMetadata and stops at maxOutputTokens with "length"', async () => {
    const result = await adapter.complete(request({ maxOutputTokens: 3 }));
    expect(result.inputTokens).toBe(9);
    expect(result.outputTokens).toBeLessThanOrEqual(3);
    expect(result.finishReason).toBe('length');
  });

  it('streams with alt=sse; the chunks join to the plain answer, with the same usage', async () => {
    const plain = await adapter.complete(request());
    const pieces: string[] = [];
    const streamed = await adapter.stream(request(), (t) => pieces.push(t));
    expect(received[1].url).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join('')).toBe(plain.text);
    expect(streamed).toMatchObject({ text: plain.text, inputTokens: plain.inputTokens, outputTokens: plain.outputTokens, finishReason: plain.finishReason });
  });

  it("classifies RESOURCE_EXHAUSTED with its RetryInfo, 5xx and a hang as transient; the SDK does not retry", async () => {
    market.setFailures('gem', { rate429: 1 });
    const limited = await adapter.complete(request()).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(ProviderRateLimitedError);
    expect(limited).toMatchObject({ transient: true, retryAfterMs: 4_000 });
    expect(received).toHaveLength(1);
    market.setFailures('gem', { rate429: 0, rate5xx: 1 });
    const failed = await adapter.complete(request()).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(ProviderServerError);
    expect([500, 503]).toContain((failed as ProviderServerError).status);
    market.setFailures('gem', { rate5xx: 0, rateTimeout: 1 });
    expect(await adapter.complete(request()).catch((e: unknown) => e)).toBeInstanceOf(ProviderTimeoutError);
  });

  it("makes Gemini's API_KEY_INVALID an auth error naming no key, and a 400 or unknown model a permanent rejection in Gemini's words", async () => {
    const auth = await adapter.complete(request({ provider: { ...endpoint(), apiKey: 'AIza-wrong-key' } })).catch((e: unknown) => e);
    expect(auth).toBeInstanceOf(ProviderAuthError);
    expect((auth as Error).message).not.toContain('AIza-wrong-key');
    const tooLong = await adapter.complete(request({ maxOutputTokens: 5_000 })).catch((e: unknown) => e);
    expect(tooLong).toBeInstanceOf(ProviderRejectedError);
    expect(tooLong).toMatchObject({ status: 400, providerCode: 'INVALID_ARGUMENT' });
    expect((tooLong as Error).message).toBe('gem: max_tokens is too large: 5000. This model supports at most 1024 completion tokens.');
    expect(await adapter.complete(request({ providerModel: 'gemini-nope' })).catch((e: unknown) => e)).toMatchObject({ status: 404, transient: false });
  });

  it('runs a Batch Mode job with inline requests: pending, running, succeeded, a refused item failing alone', async () => {
    clock = 1_000_000;
    const items = [
      { customId: 'obj-1#1', providerModel: 'gemini-2.5-flash', input: 'First question?', maxOutputTokens: 32, params: { seed: 1 } },
      { customId: 'obj-2#1', providerModel: 'gemini-2.5-flash', input: [{ role: 'system' as const, content: 'Terse.' }, { role: 'user' as const, content: 'Second?' }], maxOutputTokens: 32 },
      { customId: 'obj-3#1', providerModel: 'gemini-2.5-flash', input: 'Too long an answer', maxOutputTokens: 9_999 },
    ];
    const batchId = await adapter.submitBatch(endpoint(), items);
    expect(batchId).toMatch(/^batches\//);
    expect(received[0].url).toBe('/v1beta/models/gemini-2.5-flash:batchGenerateContent');
    const sent = (received[0].body as { batch: { inputConfig: { requests: { requests: unknown[] } } } }).batch.inputConfig.requests.requests;
    expect(sent[1]).toEqual({
      request: { contents: [{ role: 'user', parts: [{ text: 'Second?' }] }], systemInstruction: { parts: [{ text: 'Terse.' }], role: 'user' }, generationConfig: { maxOutputTokens: 32 } },
      metadata: { key: 'obj-2#1' },
    });
    expect(await adapter.pollBatch(endpoint(), batchId)).toMatchObject({ status: 'JOB_STATE_PENDING', finished: false });
    clock += 30_000;
    expect(await adapter.pollBatch(endpoint(), batchId)).toMatchObject({ status: 'JOB_STATE_RUNNING', finished: false });
    clock += 30_000;
    expect(await adapter.pollBatch(endpoint(), batchId)).toMatchObject({ status: 'JOB_STATE_SUCCEEDED', finished: true, requestCounts: { total: 3, completed: 2, failed: 1 } });
    const results = await adapter.fetchBatchResults(endpoint(), batchId);
    expect(results.map((r) => [r.customId, r.ok])).toEqual([
      ['obj-1#1', true],
      ['obj-2#1', true],
      ['obj-3#1', false],
    ]);
    const failed = results[2];
    expect(!failed.ok && failed.error).toBeInstanceOf(ProviderRejectedError);
  });

  it('sends a batch past the inline limit as an uploaded JSONL file, and reads its results file', async () => {
    clock = 3_000_000;
    const byFile = new GeminiAdapter({ timeoutMs: 300, inlineBatchLimitBytes: 0 });
    const items = [
      { customId: 'f-1#1', providerModel: 'gemini-2.5-flash', input: [{ role: 'system' as const, content: 'Terse.' }, { role: 'user' as const, content: 'First?' }], maxOutputTokens: 32, params: { temperature: 0.1 } },
      { customId: 'f-2#1', providerModel: 'gemini-2.5-flash', input: 'Too long an answer', maxOutputTokens: 9_999 },
    ];
    const batchId = await byFile.submitBatch(endpoint(), items);
    expect(received.map((r) => r.url.replace(/upload_id=.*/, 'upload_id=…'))).toEqual([
      '/upload/v1beta/files',
      '/upload/v1beta/files?upload_id=…',
      '/v1beta/models/gemini-2.5-flash:batchGenerateContent',
    ]);
    const lines = String(received[1].body).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toEqual({
      key: 'f-1#1',
      request: {
        contents: [{ role: 'user', parts: [{ text: 'First?' }] }],
        systemInstruction: { parts: [{ text: 'Terse.' }] },
        generationConfig: { maxOutputTokens: 32, temperature: 0.1 },
      },
    });
    expect(received[2].body).toMatchObject({ batch: { inputConfig: { fileName: expect.stringMatching(/^files\//) } } });
    clock += 60_000;
    const results = await byFile.fetchBatchResults(endpoint(), batchId);
    expect(results.map((r) => [r.customId, r.ok])).toEqual([
      ['f-1#1', true],
      ['f-2#1', false],
    ]);

    // The job, its results file with it.
    received.length = 0;
    await byFile.deleteBatch(endpoint(), batchId);
    expect(received.map((r) => `${r.method} ${r.url.replace(/\?.*/, '')}`)).toEqual([`DELETE /v1beta/${batchId}`]);
    await expect(byFile.fetchBatchResults(endpoint(), batchId)).rejects.toMatchObject({ status: 404 });
    await expect(byFile.deleteBatch(endpoint(), batchId)).resolves.toBeUndefined();
  });

  it('cancels a running job: cancelled, with nothing run', async () => {
    clock = 2_000_000;
    const batchId = await adapter.submitBatch(endpoint(), [{ customId: 'c#1', providerModel: 'gemini-2.5-flash', input: 'hi', maxOutputTokens: 8 }]);
    expect(await adapter.cancelBatch(endpoint(), batchId)).toMatchObject({ status: 'JOB_STATE_CANCELLED', finished: true });
    expect(await adapter.fetchBatchResults(endpoint(), batchId)).toEqual([]);
  });

  it('lets a job that outlives its deadline end expired, with nothing run', async () => {
    const expiring = await startDemoMarket(catalogue, { latencyScale: 0, turnaroundScale: 1, batchExpiresAfterMs: 30_000, now: () => clock });
    try {
      clock = 5_000_000;
      const provider = { id: 'gem', baseUrl: expiring.providers.gem, apiKey: expiring.apiKeys.gem };
      const batchId = await adapter.submitBatch(provider, [{ customId: 'x#1', providerModel: 'gemini-2.5-flash', input: 'hi', maxOutputTokens: 8 }]);
      clock += 30_000;
      expect(await adapter.pollBatch(provider, batchId)).toMatchObject({ status: 'JOB_STATE_EXPIRED', finished: true });
      expect(await adapter.fetchBatchResults(provider, batchId)).toEqual([]);
    } finally {
      await expiring.stop();
    }
  });
});
