import { expectedLatencyMs, providerBatchPrice, providerPriceAt, providersFor, tokenCostMicros } from './catalogue';
import { loadCatalogue } from './load-catalogue';

// The demo market exists so routing choices differ by profile; these pin down who wins what.
const catalogue = loadCatalogue();
const peak = new Date('2025-03-04T10:00:00Z');
const offPeak = new Date('2025-03-04T20:00:00Z');

function liveCost(model: string, at: Date): Record<string, number> {
  return Object.fromEntries(
    providersFor(catalogue, model).map(({ provider }) => [
      provider.id,
      tokenCostMicros(providerPriceAt(provider, model, at), 1_000, 500),
    ]),
  );
}

const cheapest = (costs: Record<string, number>) => Object.entries(costs).sort(([, a], [, b]) => a - b)[0][0];

describe('demo market profiles', () => {
  it('bargain is the cheapest live option at peak, tidal once off-peak starts', () => {
    expect(cheapest(liveCost('llama-3.1-8b', peak))).toBe('bargain');
    expect(cheapest(liveCost('llama-3.1-8b', offPeak))).toBe('tidal');
    expect(cheapest(liveCost('deepseek:r1-32b', offPeak))).toBe('tidal');
  });

  it('GPT-4o work that can wait for the off-peak spot window pays a quarter of the list price, half via the batch API', () => {
    const list = liveCost('openai:gpt-4o', peak)['openai-direct'];
    expect(cheapest(liveCost('openai:gpt-4o', peak))).toBe('midway');
    expect(liveCost('openai:gpt-4o', offPeak).tidal).toBe(Math.ceil(list / 4));
    expect(tokenCostMicros(providerBatchPrice(catalogue.providers.find((p) => p.id === 'openai-direct')!, 'openai:gpt-4o')!, 1_000, 500)).toBe(list / 2);
  });

  it('swift is the fastest for every model it serves, under 100 ms to the first token', () => {
    const swift = catalogue.providers.find((p) => p.id === 'swift')!;
    for (const model of catalogue.models.filter((m) => swift.models.some((o) => o.model === m.id))) {
      const byLatency = providersFor(catalogue, model.id).sort((a, b) => expectedLatencyMs(a.provider, 200) - expectedLatencyMs(b.provider, 200));
      expect(byLatency[0].provider.id).toBe('swift');
    }
    expect(providersFor(catalogue, 'qwen-7b').find((o) => o.provider.id === 'swift')?.provider.latency.ttftMs).toBeLessThan(100);
  });

  it('Claude and Gemini are served in their own APIs, each with a 50% batch', () => {
    const served = (model: string) => providersFor(catalogue, model).map(({ provider }) => [provider.id, provider.api, provider.batch?.discountPercent]);
    expect(served('claude-haiku')).toEqual([['anthropic-direct', 'anthropic', 50]]);
    expect(served('gemini-flash')).toEqual([['gemini-direct', 'gemini', 50]]);
  });

  it('the cheapest way to run GPT-4o that can wait is the OpenAI batch API, the quickest batch is midway', () => {
    const batch = providersFor(catalogue, 'openai:gpt-4o').flatMap(({ provider }) => {
      const price = providerBatchPrice(provider, 'openai:gpt-4o');
      return price ? [{ id: provider.id, cost: tokenCostMicros(price, 1_000, 500), turnaround: provider.batch?.turnaroundSeconds ?? 0 }] : [];
    });
    expect([...batch].sort((a, b) => a.cost - b.cost)[0].id).toBe('openai-direct');
    expect([...batch].sort((a, b) => a.turnaround - b.turnaround)[0].id).toBe('midway');
  });

  it('every model has a route that costs less than half its base price, so SLA discounts have room', () => {
    for (const model of catalogue.models) {
      const half = tokenCostMicros(model.basePrice, 1_000, 500) * 0.5;
      const best = Math.min(
        ...providersFor(catalogue, model.id).flatMap(({ provider }) =>
          [providerBatchPrice(provider, model.id), providerPriceAt(provider, model.id, offPeak)].flatMap((p) => (p ? [tokenCostMicros(p, 1_000, 500)] : [])),
        ),
      );
      expect({ model: model.id, atMostHalf: best <= half }).toEqual({ model: model.id, atMostHalf: true });
    }
  });
});
