import type { Catalogue, ModelSpec, PriceWindow, ProviderApiName, ProviderModelOffer, ProviderSpec, TokenPrice } from './catalogue.schema';

export class ModelNotFoundError extends Error {
  readonly code = 'model_not_found';

  constructor(readonly model: string) {
    super(`model "${model}" is not in the catalogue`);
    this.name = 'ModelNotFoundError';
  }
}

export class ProviderNotFoundError extends Error {
  readonly code = 'provider_not_found';

  constructor(readonly providerId: string) {
    super(`provider "${providerId}" is not in the catalogue`);
    this.name = 'ProviderNotFoundError';
  }
}

export class ModelNotServedError extends Error {
  readonly code = 'model_not_served';

  constructor(
    readonly providerId: string,
    readonly model: string,
  ) {
    super(`provider "${providerId}" does not serve model "${model}"`);
    this.name = 'ModelNotServedError';
  }
}

/** A model by its id or one of its aliases (exact first, then ignoring case); undefined if unknown. */
export function findModel(catalogue: Catalogue, nameOrAlias: string): ModelSpec | undefined {
  const name = nameOrAlias.trim();
  const exact = catalogue.models.find((m) => m.id === name || m.aliases.includes(name));
  if (exact) return exact;
  const lower = name.toLowerCase();
  return catalogue.models.find((m) => m.id.toLowerCase() === lower || m.aliases.some((a) => a.toLowerCase() === lower));
}

export function resolveModel(catalogue: Catalogue, nameOrAlias: string): ModelSpec {
  const model = findModel(catalogue, nameOrAlias);
  if (!model) throw new ModelNotFoundError(nameOrAlias);
  return model;
}

export function findProvider(catalogue: Catalogue, providerId: string): ProviderSpec {
  const provider = catalogue.providers.find((p) => p.id === providerId);
  if (!provider) throw new ProviderNotFoundError(providerId);
  return provider;
}

/** The wire API a provider speaks (`openai` unless its entry says otherwise). */
export function providerApi(provider: Pick<ProviderSpec, 'api'>): ProviderApiName {
  return provider.api ?? 'openai';
}

export interface ProviderOffer {
  readonly provider: ProviderSpec;
  readonly offer: ProviderModelOffer;
}

/** Every provider serving the model, in catalogue order. */
export function providersFor(catalogue: Catalogue, nameOrAlias: string): ProviderOffer[] {
  const model = resolveModel(catalogue, nameOrAlias);
  return catalogue.providers.flatMap((provider) => {
    const offer = provider.models.find((o) => o.model === model.id);
    return offer ? [{ provider, offer }] : [];
  });
}

/** The price the exchange publishes for a model; the SLA API's price factor multiplies it. */
export function basePrice(catalogue: Catalogue, nameOrAlias: string): TokenPrice {
  return resolveModel(catalogue, nameOrAlias).basePrice;
}

export function offerFor(provider: ProviderSpec, modelId: string): ProviderModelOffer {
  const offer = provider.models.find((o) => o.model === modelId);
  if (!offer) throw new ModelNotServedError(provider.id, modelId);
  return offer;
}

export interface ScheduledPrice extends TokenPrice {
  /** The schedule window in force (e.g. "off-peak"), or null at list price. */
  readonly window: string | null;
}

function minuteOfDay(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
}

function windowAt(windows: readonly PriceWindow[], at: Date): PriceWindow | undefined {
  const now = at.getUTCHours() * 60 + at.getUTCMinutes();
  return windows.find((w) => {
    const from = minuteOfDay(w.fromUtc);
    const to = minuteOfDay(w.toUtc);
    return from < to ? now >= from && now < to : now >= from || now < to;
  });
}

function scale(price: TokenPrice, percent: number): TokenPrice {
  return {
    inputMicrosPerMillion: Math.round((price.inputMicrosPerMillion * percent) / 100),
    outputMicrosPerMillion: Math.round((price.outputMicrosPerMillion * percent) / 100),
  };
}

/** What a live call to the provider costs at an instant, after its time-of-day schedule. */
export function providerPriceAt(provider: ProviderSpec, modelId: string, at: Date): ScheduledPrice {
  const offer = offerFor(provider, modelId);
  const window = windowAt(offer.priceSchedule ?? provider.priceSchedule ?? [], at);
  if (!window) return { ...offer.price, window: null };
  return { ...scale(offer.price, window.multiplierPercent), window: window.label };
}

/** What the provider's batch API charges for the model (flat, no schedule); null without one. */
export function providerBatchPrice(provider: ProviderSpec, modelId: string): TokenPrice | null {
  if (!provider.batch) return null;
  return scale(offerFor(provider, modelId).price, 100 - provider.batch.discountPercent);
}

/** Cost of a call in micro-dollars, rounded up so an estimate never undercounts. */
export function tokenCostMicros(price: TokenPrice, inputTokens: number, outputTokens: number): number {
  const microMillionths = inputTokens * price.inputMicrosPerMillion + outputTokens * price.outputMicrosPerMillion;
  return Math.ceil(microMillionths / 1_000_000);
}

/** Expected wall-clock latency of a live call without jitter. */
export function expectedLatencyMs(provider: ProviderSpec, outputTokens: number): number {
  return Math.round(provider.latency.ttftMs + provider.latency.perOutputTokenMs * outputTokens);
}

/** `demo://` base URLs point into the demo market, which serves each such provider by its id on a port known only at run time. */
export function resolveBaseUrl(provider: ProviderSpec, demoMarketUrls: Readonly<Record<string, string>> = {}): string {
  if (!provider.baseUrl.startsWith('demo://')) return provider.baseUrl;
  const url = demoMarketUrls[provider.id];
  if (!url) throw new ProviderNotFoundError(provider.id);
  return url;
}
