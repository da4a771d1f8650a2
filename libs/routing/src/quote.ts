import {
  expectedLatencyMs,
  findModel,
  providerPriceAt,
  providersFor,
  tokenCostMicros,
  type Catalogue,
  type TokenPrice,
} from '@sluice/catalogue';
import type { Pricing, Routing } from '@sluice/events';
import { customerPriceMicros as chargeFor } from '@sluice/pricing';
import type { ProviderHealth } from './provider-health';

/** What the router needs to price one dispatch of an object. */
export interface QuoteRequest {
  readonly model: string;
  readonly inputTokens: number;
  readonly maxOutputTokens: number;
  readonly pricing: Pricing;
  readonly routing?: Routing;
  readonly avoidProviders: readonly string[];
  readonly escalated: boolean;
  /**
   * The output the latency estimate counts on (what the model typically produces, at most
   * `maxOutputTokens`); the worst case when absent. Cost estimates always count the worst case.
   */
  readonly expectedOutputTokens?: number;
}

/** One provider's offer for one object, live, at an instant. */
export interface Quote {
  readonly providerId: string;
  readonly providerModel: string;
  /** The provider's live price at the instant of the quote (after its time-of-day schedule). */
  readonly price: TokenPrice;
  readonly estimatedLatencyMs: number;
  readonly reliability: number;
  readonly degraded: boolean;
  /** For the input and the most output the object may produce: an estimate never undercounts. */
  readonly estimatedProviderCostMicros: number;
  readonly estimatedCustomerPriceMicros: number;
  /** A provider that failed this object before. */
  readonly avoided: boolean;
}

export type QuoteRejectionCode = 'no_provider_available' | 'price_cap_exceeded' | 'latency_cap_exceeded';

export type RouteDecision =
  | { readonly kind: 'route'; readonly ranked: readonly Quote[] }
  | { readonly kind: 'reject'; readonly code: QuoteRejectionCode; readonly message: string };

export interface MarketView {
  readonly catalogue: Catalogue;
  readonly at: Date;
  /** Providers the router can reach (an endpoint is configured). */
  readonly reachable: (providerId: string) => boolean;
  readonly health: (providerId: string, catalogueReliability: number) => ProviderHealth;
}

/** A quote as QuoteAccepted records it (a live call), for the router and the gateway alike. */
export function acceptedQuoteFields(quote: Quote) {
  return {
    providerId: quote.providerId,
    providerModel: quote.providerModel,
    mode: 'live' as const,
    estimatedProviderCostMicros: quote.estimatedProviderCostMicros,
    estimatedCustomerPriceMicros: quote.estimatedCustomerPriceMicros,
    estimatedLatencyMs: quote.estimatedLatencyMs,
  };
}

/** What the customer pays, estimated: SLA = base × factor; real-time = provider cost + markup. Rounded up, as billing charges. */
export function customerPriceMicros(pricing: Pricing, providerCostMicros: number, inputTokens: number, outputTokens: number): number {
  return chargeFor(pricing, { inputTokens, outputTokens, providerCostMicros });
}

/** Pure: a live quote from every reachable provider serving the model, in catalogue order. */
export function quotesFor(request: QuoteRequest, market: MarketView): Quote[] {
  const model = findModel(market.catalogue, request.model);
  if (!model) return [];
  return providersFor(market.catalogue, model.id)
    .filter(({ provider }) => market.reachable(provider.id))
    .map(({ provider, offer }) => {
      const price = providerPriceAt(provider, model.id, market.at);
      const health = market.health(provider.id, provider.reliability);
      const providerCost = tokenCostMicros(price, request.inputTokens, request.maxOutputTokens);
      return {
        providerId: provider.id,
        providerModel: offer.providerModel,
        price: { inputMicrosPerMillion: price.inputMicrosPerMillion, outputMicrosPerMillion: price.outputMicrosPerMillion },
        estimatedLatencyMs: Math.round(expectedLatencyMs(provider, Math.min(request.expectedOutputTokens ?? request.maxOutputTokens, request.maxOutputTokens)) * health.latencyFactor),
        reliability: health.reliability,
        degraded: health.degraded,
        estimatedProviderCostMicros: providerCost,
        estimatedCustomerPriceMicros: customerPriceMicros(request.pricing, providerCost, request.inputTokens, request.maxOutputTokens),
        avoided: request.avoidProviders.includes(provider.id),
      };
    });
}

type Compare = (a: Quote, b: Quote) => number;

const byCost: Compare = (a, b) => a.estimatedProviderCostMicros - b.estimatedProviderCostMicros || a.estimatedLatencyMs - b.estimatedLatencyMs;
const byLatency: Compare = (a, b) => a.estimatedLatencyMs - b.estimatedLatencyMs || a.estimatedProviderCostMicros - b.estimatedProviderCostMicros;
const byProviderId: Compare = (a, b) => a.providerId.localeCompare(b.providerId);

/**
 * The balanced profile's weighting: each of cost, latency and failure rate is normalised to
 * 0..1 across the candidates (0 = the best of them, 1 = the worst), then weighted
 * 50% cost, 30% latency, 20% failure rate; the lowest score wins. Cost leads because the
 * profile is the default for production traffic that is paid per token.
 */
export const BALANCED_WEIGHTS = { cost: 0.5, latency: 0.3, failureRate: 0.2 } as const;

function balancedScores(quotes: readonly Quote[]): Map<Quote, number> {
  const normaliser = (values: number[]) => {
    const min = Math.min(...values);
    const span = Math.max(...values) - min;
    return (value: number) => (span === 0 ? 0 : (value - min) / span);
  };
  const cost = normaliser(quotes.map((q) => q.estimatedProviderCostMicros));
  const latency = normaliser(quotes.map((q) => q.estimatedLatencyMs));
  const failure = normaliser(quotes.map((q) => 1 - q.reliability));
  return new Map(
    quotes.map((q) => [
      q,
      BALANCED_WEIGHTS.cost * cost(q.estimatedProviderCostMicros) +
        BALANCED_WEIGHTS.latency * latency(q.estimatedLatencyMs) +
        BALANCED_WEIGHTS.failureRate * failure(1 - q.reliability),
    ]),
  );
}

function profileOrder(request: QuoteRequest, quotes: readonly Quote[]): Compare {
  if (request.escalated) return byLatency;
  if (request.pricing.kind === 'sla' || !request.routing) return byCost;
  switch (request.routing.profile) {
    case 'economy':
      return byCost;
    case 'fast':
      return byLatency;
    case 'balanced': {
      const scores = balancedScores(quotes);
      return (a, b) => (scores.get(a) ?? 0) - (scores.get(b) ?? 0) || byCost(a, b);
    }
    default: {
      const never: never = request.routing.profile;
      throw new Error(`unknown profile ${String(never)}`);
    }
  }
}

const micros = (value: number) => `$${(value / 1_000_000).toFixed(6)}`;

/**
 * Pure: the acceptable quotes, best first, or why there is none. Providers that failed the
 * object before go last; with `prefer_live`, degraded providers go after healthy ones even
 * when cheaper. `maxLatencyMs` drops quotes over it; `maxPriceMicros` drops quotes whose
 * estimated customer charge exceeds it, and rejects the object when none is left.
 */
export function chooseRoute(request: QuoteRequest, quotes: readonly Quote[]): RouteDecision {
  if (quotes.length === 0) {
    return { kind: 'reject', code: 'no_provider_available', message: `no reachable provider serves model "${request.model}"` };
  }
  const routing = request.routing;
  let acceptable = [...quotes];
  if (routing?.maxLatencyMs !== undefined) {
    const cap = routing.maxLatencyMs;
    acceptable = acceptable.filter((q) => q.estimatedLatencyMs <= cap);
    if (acceptable.length === 0) {
      const quickest = Math.min(...quotes.map((q) => q.estimatedLatencyMs));
      return {
        kind: 'reject',
        code: 'latency_cap_exceeded',
        message: `max_latency_ms is ${cap} but the quickest provider for "${request.model}" is estimated at ${quickest} ms`,
      };
    }
  }
  if (routing?.maxPriceMicros !== undefined) {
    const cap = routing.maxPriceMicros;
    const withinLatency = acceptable;
    acceptable = acceptable.filter((q) => q.estimatedCustomerPriceMicros <= cap);
    if (acceptable.length === 0) {
      const cheapest = Math.min(...withinLatency.map((q) => q.estimatedCustomerPriceMicros));
      return {
        kind: 'reject',
        code: 'price_cap_exceeded',
        message: `max_price_usd is ${micros(cap)} but the cheapest acceptable quote for "${request.model}" is estimated at ${micros(cheapest)} (for ${request.inputTokens} input and up to ${request.maxOutputTokens} output tokens)`,
      };
    }
  }
  const order = profileOrder(request, acceptable);
  const preferLive = routing?.strategy === 'prefer_live' && request.pricing.kind === 'realtime';
  const ranked = [...acceptable].sort(
    (a, b) => Number(a.avoided) - Number(b.avoided) || (preferLive ? Number(a.degraded) - Number(b.degraded) : 0) || order(a, b) || byProviderId(a, b),
  );
  return { kind: 'route', ranked };
}
