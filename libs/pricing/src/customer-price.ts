import {
  providersFor,
  tokenCostMicros,
  type Catalogue,
  type PriceWindow,
  type ProviderOffer,
} from '@sluice/catalogue';
import type { Pricing, Routing, TokenPrice } from '@sluice/events';

const PPM = 1_000_000n;
const BPS = 10_000n;

/** ceil(amount × factor) in integers: the factor becomes parts per million so 100 × 0.3 is 30, not 31. */
export function applyPriceFactor(amountMicros: number, priceFactor: number): number {
  const factorPpm = BigInt(Math.round(priceFactor * 1_000_000));
  return Number((BigInt(amountMicros) * factorPpm + PPM - 1n) / PPM);
}

/** ceil(amount × (1 + markupBps / 10000)) in integers. */
export function applyMarkup(amountMicros: number, markupBps: number): number {
  return Number((BigInt(amountMicros) * (BPS + BigInt(markupBps)) + BPS - 1n) / BPS);
}

export interface ActualUsage {
  inputTokens: number;
  outputTokens: number;
  providerCostMicros: number;
}

/**
 * What the customer owes for a completed object, before the reservation caps it.
 * SLA: the model's base price × the quoted factor on actual tokens (the exchange keeps the
 * difference to its real cost). Real-time: the provider's cost plus the markup.
 */
export function customerPriceMicros(pricing: Pricing, usage: ActualUsage): number {
  switch (pricing.kind) {
    case 'sla':
      return applyPriceFactor(tokenCostMicros(pricing.basePrice, usage.inputTokens, usage.outputTokens), pricing.priceFactor);
    case 'realtime':
      return applyMarkup(usage.providerCostMicros, pricing.markupBps);
    default: {
      const unknown: never = pricing;
      throw new Error(`unknown pricing ${JSON.stringify(unknown)}`);
    }
  }
}

export interface ReservationRequest {
  model: string;
  inputTokens: number;
  maxOutputTokens: number;
  pricing: Pricing;
  routing?: Routing;
}

export class UnpricedModelError extends Error {
  readonly code = 'model_not_priced';

  constructor(readonly model: string) {
    super(`no provider in the catalogue prices model "${model}" and the request sets no price cap`);
    this.name = 'UnpricedModelError';
  }
}

/** The dearest live price a provider may charge for the model at any time of day. */
function dearestPrice({ provider, offer }: ProviderOffer): TokenPrice {
  const windows: readonly PriceWindow[] = offer.priceSchedule ?? provider.priceSchedule ?? [];
  const percent = Math.max(100, ...windows.map((w) => w.multiplierPercent));
  return {
    inputMicrosPerMillion: Math.ceil((offer.price.inputMicrosPerMillion * percent) / 100),
    outputMicrosPerMillion: Math.ceil((offer.price.outputMicrosPerMillion * percent) / 100),
  };
}

/**
 * The upper bound of what an object can cost the customer, held before it runs. SLA: the
 * quoted factor on the base price with every output token it may produce. Real-time: the
 * dearest provider at its dearest window plus the markup, never above the customer's price
 * cap (the router refuses to spend more than that).
 */
export function reservationMicros(request: ReservationRequest, catalogue: Catalogue): number {
  const { pricing, inputTokens, maxOutputTokens } = request;
  switch (pricing.kind) {
    case 'sla':
      return applyPriceFactor(tokenCostMicros(pricing.basePrice, inputTokens, maxOutputTokens), pricing.priceFactor);
    case 'realtime': {
      const cap = request.routing?.maxPriceMicros;
      const offers = safeProvidersFor(catalogue, request.model);
      if (offers.length === 0) {
        if (cap === undefined) throw new UnpricedModelError(request.model);
        return cap;
      }
      const dearestCost = Math.max(...offers.map((o) => tokenCostMicros(dearestPrice(o), inputTokens, maxOutputTokens)));
      const bound = applyMarkup(dearestCost, pricing.markupBps);
      return cap === undefined ? bound : Math.min(bound, cap);
    }
    default: {
      const unknown: never = pricing;
      throw new Error(`unknown pricing ${JSON.stringify(unknown)}`);
    }
  }
}

function safeProvidersFor(catalogue: Catalogue, model: string): ProviderOffer[] {
  try {
    return providersFor(catalogue, model);
  } catch {
    return [];
  }
}
