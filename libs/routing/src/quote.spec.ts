import { loadCatalogue } from '@sluice/catalogue';
import type { Pricing, Routing } from '@sluice/events';
import { chooseRoute, customerPriceMicros, quotesFor, type MarketView, type Quote, type QuoteRequest } from './quote';
import type { ProviderHealth } from './provider-health';

const catalogue = loadCatalogue();
const peak = new Date('2025-03-04T10:00:00Z');
const offPeak = new Date('2025-03-04T20:00:00Z');
const healthy = (_id: string, reliability: number): ProviderHealth => ({ latencyFactor: 1, reliability, degraded: false });

const market = (overrides: Partial<MarketView> = {}): MarketView => ({ catalogue, at: peak, reachable: () => true, health: healthy, ...overrides });
const sla: Pricing = { kind: 'sla', basePrice: { inputMicrosPerMillion: 200_000, outputMicrosPerMillion: 200_000 }, priceFactor: 0.5 };
const realtime: Pricing = { kind: 'realtime', markupBps: 1_000 };
const routing = (profile: Routing['profile'], extra: Partial<Routing> = {}): Routing => ({ profile, strategy: 'lowest_cost', ...extra });

const request = (overrides: Partial<QuoteRequest> = {}): QuoteRequest => ({
  model: 'qwen-7b',
  inputTokens: 1_000,
  maxOutputTokens: 256,
  pricing: realtime,
  avoidProviders: [],
  escalated: false,
  ...overrides,
});

function route(req: QuoteRequest, view: MarketView = market()) {
  return chooseRoute(req, quotesFor(req, view));
}

const ranking = (req: QuoteRequest, view?: MarketView) => {
  const decision = route(req, view);
  return decision.kind === 'route' ? decision.ranked.map((q) => q.providerId) : decision.code;
};

describe('quotes', () => {
  it('prices every provider serving the model at its live price, for input plus the most output', () => {
    const quotes = quotesFor(request({ model: 'llama-3.1-8b' }), market({ at: offPeak }));
    const tidal = quotes.find((q) => q.providerId === 'tidal') as Quote;
    expect(quotes.map((q) => q.providerId)).toEqual(['bargain', 'swift', 'midway', 'tidal']);
    expect(tidal.price).toEqual({ inputMicrosPerMillion: 55_000, outputMicrosPerMillion: 55_000 });
    expect(tidal.estimatedProviderCostMicros).toBe(Math.ceil((1_256 * 55_000) / 1_000_000));
    expect(tidal.estimatedLatencyMs).toBe(450 + 20 * 256);
    expect(tidal.estimatedCustomerPriceMicros).toBe(Math.ceil((tidal.estimatedProviderCostMicros * 11_000) / 10_000));
  });

  it('corrects latency and reliability by what recent calls showed, and leaves out unreachable providers', () => {
    const view = market({
      reachable: (id) => id !== 'midway',
      health: (id, reliability) => (id === 'swift' ? { latencyFactor: 2, reliability: 0.5, degraded: true } : healthy(id, reliability)),
    });
    const quotes = quotesFor(request(), view);
    expect(quotes.map((q) => q.providerId)).toEqual(['bargain', 'swift']);
    expect(quotes[1]).toMatchObject({ estimatedLatencyMs: 2 * (35 + 3 * 256), reliability: 0.5, degraded: true });
  });

  it.each([
    { pricing: sla, cost: 999, expected: Math.ceil(((1_000 * 200_000 + 500 * 200_000) / 1_000_000) * 0.5) },
    { pricing: realtime, cost: 999, expected: Math.ceil(999 * 1.1) },
    { pricing: { kind: 'realtime', markupBps: 0 } as Pricing, cost: 999, expected: 999 },
  ])('customer price for $pricing.kind is $expected', ({ pricing, cost, expected }) => {
    expect(customerPriceMicros(pricing, cost, 1_000, 500)).toBe(expected);
  });

  it('an unknown model has no quotes', () => {
    expect(quotesFor(request({ model: 'no-such-model' }), market())).toEqual([]);
  });
});

describe('choosing a route', () => {
  it.each<{ given: string; req: Partial<QuoteRequest>; at?: Date; first: string }>([
    { given: 'an SLA object at peak', req: { pricing: sla, model: 'llama-3.1-8b' }, first: 'bargain' },
    { given: 'an SLA object off-peak', req: { pricing: sla, model: 'llama-3.1-8b' }, at: offPeak, first: 'tidal' },
    { given: 'an SLA object that failed on bargain', req: { pricing: sla, model: 'llama-3.1-8b', avoidProviders: ['bargain'] }, first: 'midway' },
    { given: 'an SLA object that failed everywhere', req: { pricing: sla, model: 'qwen-7b', avoidProviders: ['bargain', 'swift', 'midway'] }, first: 'bargain' },
    { given: 'an escalated SLA object', req: { pricing: sla, model: 'llama-3.1-8b', escalated: true }, first: 'swift' },
    { given: 'economy', req: { routing: routing('economy') }, first: 'bargain' },
    { given: 'fast', req: { routing: routing('fast') }, first: 'swift' },
    { given: 'balanced', req: { routing: routing('balanced') }, first: 'midway' },
    { given: 'balanced on llama at peak', req: { model: 'llama-3.1-8b', routing: routing('balanced') }, first: 'midway' },
    { given: 'a real-time object without routing', req: {}, first: 'bargain' },
  ])('given $given, the first choice is $first', ({ req, at, first }) => {
    expect(ranking(request(req), market({ at: at ?? peak }))[0]).toBe(first);
  });

  it('ranks the rest as fallbacks in the profile order', () => {
    expect(ranking(request({ routing: routing('economy') }))).toEqual(['bargain', 'midway', 'swift']);
    expect(ranking(request({ routing: routing('fast') }))).toEqual(['swift', 'midway', 'bargain']);
  });

  it('prefer_live puts a degraded provider after the healthy ones even when it is cheaper; lowest_cost does not', () => {
    const view = market({ health: (id, r) => (id === 'bargain' ? { latencyFactor: 1, reliability: 0.8, degraded: true } : healthy(id, r)) });
    expect(ranking(request({ routing: routing('economy', { strategy: 'prefer_live' }) }), view)).toEqual(['midway', 'swift', 'bargain']);
    expect(ranking(request({ routing: routing('economy') }), view)).toEqual(['bargain', 'midway', 'swift']);
  });

  it('drops quotes over max_latency_ms and rejects when none is left', () => {
    expect(ranking(request({ routing: routing('economy', { maxLatencyMs: 5_000 }) }))).toEqual(['midway', 'swift']);
    const decision = route(request({ routing: routing('economy', { maxLatencyMs: 100 }) }));
    expect(decision).toMatchObject({ kind: 'reject', code: 'latency_cap_exceeded' });
    expect(decision.kind === 'reject' && decision.message).toContain('803 ms');
  });

  it('drops quotes over max_price and rejects when every remaining quote is over it', () => {
    const quotes = quotesFor(request(), market());
    const midwayPrice = (quotes.find((q) => q.providerId === 'midway') as Quote).estimatedCustomerPriceMicros;
    expect(ranking(request({ routing: routing('fast', { maxPriceMicros: midwayPrice }) }))).toEqual(['midway', 'bargain']);
    const decision = route(request({ routing: routing('fast', { maxPriceMicros: 1 }) }));
    expect(decision).toMatchObject({ kind: 'reject', code: 'price_cap_exceeded' });
    expect(decision.kind === 'reject' && decision.message).toContain('max_price_usd is $0.000001');
  });

  it('applies the latency cap before the price cap: the price message speaks of quotes within the latency cap', () => {
    const decision = route(request({ routing: routing('economy', { maxLatencyMs: 1_000, maxPriceMicros: 1 }) }));
    expect(decision).toMatchObject({ kind: 'reject', code: 'price_cap_exceeded' });
  });

  it('rejects with no_provider_available when nothing serves the model or nothing is reachable', () => {
    expect(route(request({ model: 'no-such-model' }))).toMatchObject({ kind: 'reject', code: 'no_provider_available' });
    expect(route(request(), market({ reachable: () => false }))).toMatchObject({ kind: 'reject', code: 'no_provider_available' });
  });
});
