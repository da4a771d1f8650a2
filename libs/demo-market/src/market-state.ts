import {
  type DemoMarket,
  type DemoMarketCatalogue,
  type DemoMarketOptions,
  type DemoProviderSpec,
  type FailureRates,
  type ProviderCallStats,
  emptyStats,
  noFailures,
} from './demo-market.types';

const STAT_FIELDS = Object.keys(emptyStats()) as (keyof ProviderCallStats)[];
const FAILURE_FIELDS = Object.keys(noFailures) as (keyof FailureRates)[];

/** The catalogue's providers the demo market serves, in the order their state is laid out. */
export const demoProviders = (catalogue: DemoMarketCatalogue): DemoProviderSpec[] =>
  catalogue.providers.filter((provider) => provider.baseUrl.startsWith('demo://'));

/**
 * Each demo provider's call counters and injected failure rates, in two typed arrays. Plain
 * arrays when the market runs in the caller's thread; shared memory (SharedArrayBuffer) when
 * it runs on a worker thread, so that reading stats and setting failures stay synchronous for
 * the caller, as they are in-thread. Only the market's thread counts; the caller reads,
 * resets and sets rates.
 */
export interface MarketState {
  readonly counters: Float64Array;
  readonly failures: Float64Array;
}

export function createMarketState(catalogue: DemoMarketCatalogue, options: Pick<DemoMarketOptions, 'failuresFromReliability'>, shared: boolean): MarketState {
  const providers = demoProviders(catalogue);
  const buffer = (values: number) => (shared ? new SharedArrayBuffer(values * 8) : new ArrayBuffer(values * 8));
  const state: MarketState = {
    counters: new Float64Array(buffer(providers.length * STAT_FIELDS.length)),
    failures: new Float64Array(buffer(providers.length * FAILURE_FIELDS.length)),
  };
  providers.forEach((spec, index) => {
    if (options.failuresFromReliability) new ProviderState(state, index).setFailures({ rate5xx: 1 - spec.reliability });
  });
  return state;
}

/** One provider's slice of a MarketState. */
export class ProviderState {
  private readonly counters: Float64Array;
  private readonly failures: Float64Array;

  constructor(state: MarketState, index: number) {
    this.counters = state.counters.subarray(index * STAT_FIELDS.length, (index + 1) * STAT_FIELDS.length);
    this.failures = state.failures.subarray(index * FAILURE_FIELDS.length, (index + 1) * FAILURE_FIELDS.length);
  }

  count(field: keyof ProviderCallStats, by = 1): void {
    this.counters[STAT_FIELDS.indexOf(field)] += by;
  }

  stats(): ProviderCallStats {
    return Object.fromEntries(STAT_FIELDS.map((field, i) => [field, this.counters[i]])) as unknown as ProviderCallStats;
  }

  resetStats(): void {
    this.counters.fill(0);
  }

  failureRates(): FailureRates {
    return Object.fromEntries(FAILURE_FIELDS.map((field, i) => [field, this.failures[i]])) as unknown as FailureRates;
  }

  setFailures(rates: Partial<FailureRates>): void {
    FAILURE_FIELDS.forEach((field, i) => {
      const rate = rates[field];
      if (rate !== undefined) this.failures[i] = rate;
    });
  }
}

/** The caller's side of a market's state: what DemoMarket offers besides its URLs. */
export function marketControls(catalogue: DemoMarketCatalogue, state: MarketState): Pick<DemoMarket, 'setFailures' | 'stats' | 'resetStats'> {
  const providers = new Map(demoProviders(catalogue).map((spec, index) => [spec.id, new ProviderState(state, index)]));
  const providerState = (providerId: string): ProviderState => {
    const provider = providers.get(providerId);
    if (!provider) throw new Error(`the demo market has no provider "${providerId}"`);
    return provider;
  };
  return {
    setFailures: (providerId, rates) => providerState(providerId).setFailures(rates),
    stats: () => Object.fromEntries([...providers].map(([id, provider]) => [id, provider.stats()])),
    resetStats() {
      for (const provider of providers.values()) provider.resetStats();
    },
  };
}
