import { startDemoMarket } from './demo-market';
import type { DemoMarket, DemoMarketCatalogue } from './demo-market.types';

const catalogue: DemoMarketCatalogue = {
  models: [{ id: 'm', tokenizer: 'cl100k_base', contextTokens: 4096, maxOutputTokens: 512 }],
  providers: [
    { id: 'claude', api: 'anthropic', baseUrl: 'demo://claude', models: [{ model: 'm', providerModel: 'claude-m' }], latency: { ttftMs: 1, perOutputTokenMs: 0, jitterPercent: 0 }, rateLimits: { rpm: 100 }, reliability: 1 },
    { id: 'gem', api: 'gemini', baseUrl: 'demo://gem', models: [{ model: 'm', providerModel: 'gemini-m' }], latency: { ttftMs: 1, perOutputTokenMs: 0, jitterPercent: 0 }, rateLimits: { rpm: 100 }, reliability: 1 },
  ],
};

describe('demo market: Anthropic and Gemini wire formats', () => {
  let market: DemoMarket;
  beforeAll(async () => {
    market = await startDemoMarket(catalogue, { latencyScale: 0 });
  });
  afterAll(() => market.stop());

  const post = async (url: string, headers: Record<string, string>, body: unknown) => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('serves each family at its own origin, not under /v1', () => {
    expect(market.providers.claude).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(market.providers.gem).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("refuses a field the Messages API does not know in Anthropic's words (seed, say)", async () => {
    const res = await post(`${market.providers.claude}/v1/messages`, { 'x-api-key': market.apiKeys.claude }, { model: 'claude-m', max_tokens: 5, seed: 1, messages: [{ role: 'user', content: 'hi' }] });
    expect(res).toEqual({ status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message: 'seed: Extra inputs are not permitted' }, request_id: expect.any(String) } });
  });

  it("refuses a generationConfig field Gemini does not know in Google's words", async () => {
    const res = await post(`${market.providers.gem}/v1beta/models/gemini-m:generateContent`, { 'x-goog-api-key': market.apiKeys.gem }, {
      contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
      generationConfig: { max_tokens: 5 },
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT', message: `Invalid JSON payload received. Unknown name "max_tokens" at 'generation_config': Cannot find field.` });
  });

  it('answers a wrong key as each family does: Anthropic 401, Gemini 400 API_KEY_INVALID', async () => {
    const claude = await post(`${market.providers.claude}/v1/messages`, { 'x-api-key': 'nope' }, {});
    expect(claude).toMatchObject({ status: 401, body: { error: { type: 'authentication_error' } } });
    const gem = await post(`${market.providers.gem}/v1beta/models/gemini-m:generateContent`, { 'x-goog-api-key': 'nope' }, {});
    expect(gem).toMatchObject({ status: 400, body: { error: { details: [{ reason: 'API_KEY_INVALID' }] } } });
  });
});
