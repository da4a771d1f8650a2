/** One provider call as the router saw it. */
export interface CallObservation {
  readonly at: Date;
  readonly ok: boolean;
  /** Only for answered calls: how long the provider took, and what the catalogue expected. */
  readonly latencyMs?: number;
  readonly expectedLatencyMs?: number;
}

/** What recent calls say about a provider, next to what the catalogue claims. */
export interface ProviderHealth {
  /** Multiplies the catalogue's latency estimate (1 = as the catalogue says). */
  readonly latencyFactor: number;
  /** Catalogue reliability corrected by recent outcomes (0..1). */
  readonly reliability: number;
  /** A recent failure or low health: `prefer_live` routes to it only after the healthy ones. */
  readonly degraded: boolean;
}

export const RECENT_CALLS = 20;
/** The catalogue's reliability counts as this many calls, so a single failure does not condemn a provider. */
const PRIOR_CALLS = 10;
const LATENCY_FACTOR_BOUNDS = { min: 0.5, max: 4 } as const;
/** A failure this recent marks the provider degraded. */
export const DEGRADED_AFTER_FAILURE_MS = 60_000;
export const DEGRADED_BELOW_RELIABILITY = 0.9;

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/**
 * Pure: the health of a provider from its recent calls (oldest first). The latency factor is
 * the median observed/expected ratio, bounded so that a few instant or stalled answers do
 * not turn the catalogue's latency model upside down.
 */
export function assessHealth(catalogueReliability: number, recent: readonly CallObservation[], now: Date): ProviderHealth {
  const window = recent.slice(-RECENT_CALLS);
  const failures = window.filter((c) => !c.ok).length;
  const reliability = (catalogueReliability * PRIOR_CALLS + (window.length - failures)) / (PRIOR_CALLS + window.length);
  const ratios = window.flatMap((c) => (c.ok && c.latencyMs !== undefined && c.expectedLatencyMs ? [c.latencyMs / c.expectedLatencyMs] : []));
  const latencyFactor =
    ratios.length === 0 ? 1 : Math.min(LATENCY_FACTOR_BOUNDS.max, Math.max(LATENCY_FACTOR_BOUNDS.min, median(ratios)));
  const lastFailure = [...window].reverse().find((c) => !c.ok);
  const recentFailure = lastFailure !== undefined && now.getTime() - lastFailure.at.getTime() < DEGRADED_AFTER_FAILURE_MS;
  return { latencyFactor, reliability, degraded: recentFailure || reliability < DEGRADED_BELOW_RELIABILITY };
}

/** Before a model has answered anything here, a latency estimate counts on this much output (at most the request's cap). */
export const DEFAULT_EXPECTED_OUTPUT_TOKENS = 128;

/**
 * Recent calls per provider and recent output lengths per model, as this process saw them (a
 * restart starts from the catalogue again). The router and the real-time gateway each keep one.
 */
export class ProviderHealthBook {
  private readonly calls = new Map<string, CallObservation[]>();
  private readonly outputs = new Map<string, number[]>();

  /** What a call of `model` produced: latency estimates count on the median of the recent ones. */
  recordOutput(model: string, outputTokens: number): void {
    const list = this.outputs.get(model) ?? [];
    list.push(outputTokens);
    if (list.length > RECENT_CALLS) list.splice(0, list.length - RECENT_CALLS);
    this.outputs.set(model, list);
  }

  /** The output a request of `model` is expected to produce: the recent median, at most its cap. */
  expectedOutputTokens(model: string, maxOutputTokens: number): number {
    const recent = this.outputs.get(model);
    const typical = recent && recent.length > 0 ? Math.ceil(median(recent)) : DEFAULT_EXPECTED_OUTPUT_TOKENS;
    return Math.min(typical, maxOutputTokens);
  }

  record(providerId: string, observation: CallObservation): void {
    const list = this.calls.get(providerId) ?? [];
    list.push(observation);
    if (list.length > RECENT_CALLS) list.splice(0, list.length - RECENT_CALLS);
    this.calls.set(providerId, list);
  }

  healthOf(providerId: string, catalogueReliability: number, now: Date): ProviderHealth {
    return assessHealth(catalogueReliability, this.calls.get(providerId) ?? [], now);
  }
}
