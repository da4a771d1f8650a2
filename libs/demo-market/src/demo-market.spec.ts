import { countTokens } from './completion-text';
import { startDemoMarket } from './demo-market';
import type { DemoMarket } from './demo-market.types';
import { catalogue } from './spec-catalogue';

interface WireBody {
  object: string;
  model: string;
  choices: { message: { content: string }; finish_reason: string }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  error: { code: string };
}
const wire = async (res: Response) => (await res.json()) as WireBody;

const prompt = 'Summarize inference routing in two sentences.';

function chat(market: DemoMarket, providerId: string, body: Record<string, unknown>, init: RequestInit = {}) {
  return fetch(`${market.providers[providerId]}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${market.apiKeys[providerId]}` },
    body: JSON.stringify(body),
    ...init,
  });
}

const askQuick = (market: DemoMarket, content = prompt, extra: Record<string, unknown> = {}) =>
  chat(market, 'quick', { model: 'llama3.1-8b', messages: [{ role: 'user', content }], ...extra });

describe('demo market: chat completions', () => {
  let market: DemoMarket;
  beforeAll(async () => {
    market = await startDemoMarket(catalogue, { latencyScale: 0, seed: 'spec' });
  });
  afterAll(() => market.stop());
  beforeEach(() => market.resetStats());

  it('serves only demo:// providers, each on its own loopback port', () => {
    expect(Object.keys(market.providers)).toEqual(['slowbatch', 'quick']);
    expect(market.providers.quick).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect(market.providers.quick).not.toBe(market.providers.slowbatch);
  });

  it('answers in the OpenAI format with usage counted by the real tokenizer', async () => {
    const res = await askQuick(market);
    expect(res.status).toBe(200);
    const body = await wire(res);
    const text = body.choices[0].message.content;
    expect(body).toMatchObject({ object: 'chat.completion', model: 'llama3.1-8b', choices: [{ finish_reason: 'stop' }] });
    expect(body.usage).toEqual({
      prompt_tokens: countTokens('cl100k_base', prompt),
      completion_tokens: countTokens('cl100k_base', text),
      total_tokens: countTokens('cl100k_base', prompt) + countTokens('cl100k_base', text),
    });
    expect(market.stats().quick).toMatchObject({ chatCompletions: 1, succeeded: 1 });
  });

  it('gives the same answer to the same prompt and a different one to another prompt', async () => {
    const text = async (content: string) => (await wire(await askQuick(market, content))).choices[0].message.content;
    expect(await text(prompt)).toBe(await text(prompt));
    expect(await text(prompt)).not.toBe(await text('Write a haiku about queues.'));
  });

  it('stops at max_tokens with finish_reason "length"', async () => {
    const body = await wire(await askQuick(market, prompt, { max_tokens: 3 }));
    expect(body.choices[0].finish_reason).toBe('length');
    expect(body.usage.completion_tokens).toBeLessThanOrEqual(3);
  });

  it('refuses a wrong key with 401 and an unknown model with 404, in the OpenAI error envelope', async () => {
    const unauthorized = await chat(market, 'quick', { model: 'llama3.1-8b', messages: [] }, { headers: { authorization: 'Bearer nope' } });
    expect(unauthorized.status).toBe(401);
    expect((await wire(unauthorized)).error.code).toBe('invalid_api_key');
    const unknown = await chat(market, 'quick', { model: 'llama-3.1-8b', messages: [{ role: 'user', content: 'hi' }] });
    expect(unknown.status).toBe(404);
    expect((await wire(unknown)).error.code).toBe('model_not_found');
  });

  it('rejects a prompt that does not fit the context window', async () => {
    const res = await askQuick(market, 'token '.repeat(4000), { max_tokens: 200 });
    expect(res.status).toBe(400);
    expect((await wire(res)).error.code).toBe('context_length_exceeded');
  });

  it('injects 429 with Retry-After, 5xx and hangs on demand, and counts them', async () => {
    market.setFailures('quick', { rate429: 1 });
    const limited = await askQuick(market);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');

    market.setFailures('quick', { rate429: 0, rate5xx: 1 });
    expect([500, 503]).toContain((await askQuick(market)).status);

    market.setFailures('quick', { rate5xx: 0, rateTimeout: 1 });
    const hung = chat(market, 'quick', { model: 'llama3.1-8b', messages: [{ role: 'user', content: prompt }] }, { signal: AbortSignal.timeout(100) });
    await expect(hung).rejects.toThrow(/timeout|aborted/i);
    market.setFailures('quick', { rateTimeout: 0 });
    expect((await askQuick(market)).status).toBe(200);
    expect(market.stats().quick).toMatchObject({ chatCompletions: 4, rateLimited: 1, serverErrors: 1, timedOut: 1, succeeded: 1 });
  });
});

describe('demo market: determinism, latency and limits', () => {
  it('answers identically for the same seed and differently for another', async () => {
    const [a, b, c] = await Promise.all(['one', 'one', 'two'].map((seed) => startDemoMarket(catalogue, { latencyScale: 0, seed })));
    try {
      const texts = await Promise.all([a, b, c].map(async (m) => (await wire(await askQuick(m))).choices[0].message.content));
      expect(texts[0]).toBe(texts[1]);
      expect(texts[0]).not.toBe(texts[2]);
    } finally {
      await Promise.all([a, b, c].map((m) => m.stop()));
    }
  });

  it('takes at least the time to first token when latency is not scaled away', async () => {
    const market = await startDemoMarket(catalogue, { latencyScale: 1 });
    try {
      const started = performance.now();
      const res = await chat(market, 'slowbatch', { model: 'meta-llama/Meta-Llama-3.1-8B-Instruct', messages: [{ role: 'user', content: 'hi' }] });
      expect(res.status).toBe(200);
      expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    } finally {
      await market.stop();
    }
  });

  it('answers 429 past the requests-per-minute limit when asked to enforce it', async () => {
    const market = await startDemoMarket(catalogue, { latencyScale: 0, enforceRateLimits: true });
    try {
      const call = () => chat(market, 'slowbatch', { model: 'meta-llama/Meta-Llama-3.1-8B-Instruct', messages: [{ role: 'user', content: 'hi' }] });
      const statuses = [(await call()).status, (await call()).status];
      const third = await call();
      expect([...statuses, third.status]).toEqual([200, 200, 429]);
      expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(50);
    } finally {
      await market.stop();
    }
  });
});
