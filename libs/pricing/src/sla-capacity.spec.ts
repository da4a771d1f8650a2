import { ModelNotFoundError, parseCatalogue } from '@sluice/catalogue';
import { PLANNABLE_LIVE_SHARE, slaCapacity, slaShortfalls } from './sla-capacity';

const price = { inputMicrosPerMillion: 1_000_000, outputMicrosPerMillion: 2_000_000 };
const provider = (id: string, models: string[], rateLimits: { rpm: number; tpm: number }, batch?: { discountPercent: number; turnaroundSeconds: number }) => ({
  id,
  name: id,
  baseUrl: `demo://${id}`,
  apiKeyEnv: 'KEY',
  models: models.map((model) => ({ model, providerModel: model, price })),
  latency: { ttftMs: 100, perOutputTokenMs: 1 },
  rateLimits,
  reliability: 0.99,
  ...(batch ? { batch } : {}),
});

/**
 * `solo` is served by one provider: 100 requests or 1,000,000 tokens a minute. `pair` by two:
 * 100 rpm / 1,000,000 tpm and 300 rpm / 100,000 tpm, the second also by a batch API with a
 * one-hour turnaround.
 */
const catalogue = parseCatalogue({
  models: ['solo', 'pair'].map((id) => ({ id, aliases: [`${id}-alias`], contextTokens: 100_000, maxOutputTokens: 8_000, tokenizer: 'cl100k_base', basePrice: price })),
  providers: [
    provider('narrow', ['solo', 'pair'], { rpm: 100, tpm: 1_000_000 }),
    provider('wide', ['pair'], { rpm: 300, tpm: 100_000 }, { discountPercent: 50, turnaroundSeconds: 3_600 }),
  ],
});

describe('slaCapacity', () => {
  it('bounds a provider by its requests per minute when requests are small: 100 rpm × 10 min, of which a plan counts on 80%', () => {
    const capacity = slaCapacity(catalogue, { model: 'solo', requests: 800, tokens: 800 * 500, slaMinutes: 10 });
    expect(capacity).toMatchObject({ model: 'solo', liveRequests: 1_000, plannableRequests: 1_000 * PLANNABLE_LIVE_SHARE, fits: true });
    expect(capacity.providers).toEqual([{ providerId: 'narrow', mode: 'live', requests: 1_000, boundBy: 'rpm' }]);
    expect(slaCapacity(catalogue, { model: 'solo', requests: 801, tokens: 801 * 500, slaMinutes: 10 }).fits).toBe(false);
  });

  it('bounds a provider by its tokens per minute when requests are large: 1,000,000 tpm × 10 min / 50,000 tokens a request', () => {
    const capacity = slaCapacity(catalogue, { model: 'solo', requests: 150, tokens: 150 * 50_000, slaMinutes: 10 });
    expect(capacity.providers).toEqual([{ providerId: 'narrow', mode: 'live', requests: 200, boundBy: 'tpm' }]);
    expect(capacity).toMatchObject({ liveRequests: 200, plannableRequests: 160, fits: true });
    expect(slaCapacity(catalogue, { model: 'solo', requests: 161, tokens: 161 * 50_000, slaMinutes: 10 }).fits).toBe(false);
  });

  it('sums the providers serving the model, each under its own binding limit, when no batch API fits the window', () => {
    // 30 min, 1,000 tokens a request: narrow min(3,000, 30,000) = 3,000; wide min(9,000, 3,000) = 3,000.
    const capacity = slaCapacity(catalogue, { model: 'pair-alias', requests: 4_800, tokens: 4_800 * 1_000, slaMinutes: 30 });
    expect(capacity.model).toBe('pair');
    expect(capacity.providers).toEqual([
      { providerId: 'narrow', mode: 'live', requests: 3_000, boundBy: 'rpm' },
      { providerId: 'wide', mode: 'live', requests: 3_000, boundBy: 'tpm' },
    ]);
    expect(capacity).toMatchObject({ liveRequests: 6_000, plannableRequests: 4_800, fits: true });
    expect(slaCapacity(catalogue, { model: 'pair', requests: 4_801, tokens: 4_801 * 1_000, slaMinutes: 30 }).fits).toBe(false);
  });

  it('takes any volume once a provider batch API turns around within the window (batch APIs have no quota in the catalogue)', () => {
    const capacity = slaCapacity(catalogue, { model: 'pair', requests: 1_000_000, tokens: 1_000_000 * 1_000, slaMinutes: 60 });
    expect(capacity.providers).toContainEqual({ providerId: 'wide', mode: 'provider_batch', requests: Infinity, boundBy: 'none' });
    expect(capacity).toMatchObject({ liveRequests: 12_000, plannableRequests: Infinity, fits: true });
  });

  it('counts only live limits when the window is shorter than the batch turnaround', () => {
    const capacity = slaCapacity(catalogue, { model: 'pair', requests: 1_000_000, tokens: 1_000_000 * 1_000, slaMinutes: 59 });
    expect(capacity.providers.map((p) => p.mode)).toEqual(['live', 'live']);
    expect(capacity.fits).toBe(false);
    expect(capacity.plannableRequests).toBeCloseTo(59 * 200 * PLANNABLE_LIVE_SHARE);
  });

  it('throws ModelNotFoundError for an unknown model', () => {
    expect(() => slaCapacity(catalogue, { model: 'nope', requests: 1, tokens: 1, slaMinutes: 10 })).toThrow(ModelNotFoundError);
  });
});

describe('slaShortfalls', () => {
  const demands = (model: string, slaMinutes: number, count: number, tokens = 500) => Array.from({ length: count }, () => ({ model, slaMinutes, tokens }));

  it('is empty when every window fits', () => {
    expect(slaShortfalls(catalogue, [...demands('solo', 10, 800), ...demands('pair', 60, 50_000)])).toEqual([]);
  });

  it('counts requests of shorter windows in the longer ones, since they share the providers', () => {
    // solo: 800 plannable in 10 min, 1,600 in 20 min. 700 + 700 fit in 10 and in 20; 700 + 1,000 do not fit in 20.
    expect(slaShortfalls(catalogue, [...demands('solo', 10, 700), ...demands('solo', 20, 700)])).toEqual([]);
    expect(slaShortfalls(catalogue, [...demands('solo', 20, 1_000), ...demands('solo-alias', 10, 700)])).toEqual([{ model: 'solo', slaMinutes: 20, requests: 1_700, plannableRequests: 1_600 }]);
  });

  it('names each model and window over its capacity, with what a plan could count on rounded down', () => {
    expect(slaShortfalls(catalogue, [...demands('solo', 1, 81), ...demands('pair', 1, 400)])).toEqual([
      { model: 'solo', slaMinutes: 1, requests: 81, plannableRequests: 80 },
      { model: 'pair', slaMinutes: 1, requests: 400, plannableRequests: 240 },
    ]);
  });
});
