import { providersFor, resolveModel, type Catalogue } from '@sluice/catalogue';

/**
 * The share of the providers' live rate limits a task may count on in its window: the rest is
 * headroom for retries, calls that take more tokens than estimated and other tasks' traffic.
 */
export const PLANNABLE_LIVE_SHARE = 0.8;

/** One model's SLA volume: how many requests must be done within the window, and their tokens. */
export interface SlaVolume {
  /** A model id or alias. */
  readonly model: string;
  readonly requests: number;
  /** Tokens the requests count against providers' tpm: their input plus the bound on their output, summed. */
  readonly tokens: number;
  readonly slaMinutes: number;
}

/** What one provider's limits allow for the volume in the window. */
export interface ProviderCapacity {
  readonly providerId: string;
  readonly mode: 'live' | 'provider_batch';
  /** Requests in the window; Infinity for a batch API whose turnaround fits. */
  readonly requests: number;
  /** The limit that binds: requests or tokens per minute, or none (a batch API). */
  readonly boundBy: 'rpm' | 'tpm' | 'none';
}

export interface SlaCapacity {
  /** The model's catalogue id. */
  readonly model: string;
  /** Requests the live rate limits of the providers serving the model allow in the window, summed. */
  readonly liveRequests: number;
  /** What a plan may count on: PLANNABLE_LIVE_SHARE of the live requests, or Infinity when a batch API fits the window. */
  readonly plannableRequests: number;
  readonly providers: readonly ProviderCapacity[];
  /** The volume fits what a plan may count on. */
  readonly fits: boolean;
}

/**
 * What the providers serving a model can run in an SLA window under their catalogue limits
 * (pure): live, per provider, min(rpm × window, tpm × window / tokens per request), summed over
 * providers; a provider batch API whose turnaround fits in the window takes any volume, as the
 * catalogue gives batch APIs no quota (`batchApiSchema` has none). `maxConcurrent` is not
 * counted: calls in flight at once bound a provider's rate only through latencies that the
 * catalogue estimates, not a limit it states. Throws ModelNotFoundError for an unknown model.
 */
export function slaCapacity(catalogue: Catalogue, volume: SlaVolume): SlaCapacity {
  const served = providersFor(catalogue, volume.model);
  const windowSeconds = volume.slaMinutes * 60;
  const tokensPerRequest = volume.requests > 0 ? volume.tokens / volume.requests : 0;
  const providers = served.flatMap(({ provider }): ProviderCapacity[] => {
    const { rpm, tpm } = provider.rateLimits;
    const byRequests = rpm * volume.slaMinutes;
    const byTokens = tokensPerRequest > 0 ? (tpm * volume.slaMinutes) / tokensPerRequest : Infinity;
    const live: ProviderCapacity = { providerId: provider.id, mode: 'live', requests: Math.min(byRequests, byTokens), boundBy: byTokens < byRequests ? 'tpm' : 'rpm' };
    const batchFits = provider.batch !== undefined && provider.batch.turnaroundSeconds <= windowSeconds;
    return batchFits ? [live, { providerId: provider.id, mode: 'provider_batch', requests: Infinity, boundBy: 'none' }] : [live];
  });
  const liveRequests = providers.filter((p) => p.mode === 'live').reduce((sum, p) => sum + p.requests, 0);
  const batchFits = providers.some((p) => p.mode === 'provider_batch');
  const plannableRequests = batchFits ? Infinity : liveRequests * PLANNABLE_LIVE_SHARE;
  return { model: resolveModel(catalogue, volume.model).id, liveRequests, plannableRequests, providers, fits: volume.requests <= plannableRequests };
}

/** SLA requests of a task for one model and window, as the capacity check sees them: one, or a file's lines. */
export interface SlaDemand {
  readonly model: string;
  readonly slaMinutes: number;
  /** How many requests this is (1 when absent). */
  readonly requests?: number;
  /** Their input tokens plus the bound on their output, summed. */
  readonly tokens: number;
}

/** A model and window whose requests the providers' limits cannot run in time. */
export interface SlaShortfall {
  readonly model: string;
  readonly slaMinutes: number;
  /** The model's requests due within the window (its own and those with shorter windows). */
  readonly requests: number;
  /** What a plan may count on in that window, rounded down. */
  readonly plannableRequests: number;
}

/**
 * The windows of a task the limits cannot meet (pure; empty when it fits). Per model, each
 * window must hold the requests due within it, those of shorter windows included, since they
 * share the same providers. Throws ModelNotFoundError for an unknown model.
 */
export function slaShortfalls(catalogue: Catalogue, demands: Iterable<SlaDemand>): SlaShortfall[] {
  const ids = new Map<string, string>();
  const byModel = new Map<string, Map<number, { requests: number; tokens: number }>>();
  for (const d of demands) {
    const id = ids.get(d.model) ?? resolveModel(catalogue, d.model).id;
    ids.set(d.model, id);
    const windows = byModel.get(id) ?? new Map<number, { requests: number; tokens: number }>();
    byModel.set(id, windows);
    const due = windows.get(d.slaMinutes) ?? { requests: 0, tokens: 0 };
    windows.set(d.slaMinutes, { requests: due.requests + (d.requests ?? 1), tokens: due.tokens + d.tokens });
  }
  const shortfalls: SlaShortfall[] = [];
  for (const [model, windows] of byModel) {
    let requests = 0;
    let tokens = 0;
    for (const [slaMinutes, due] of [...windows].sort(([a], [b]) => a - b)) {
      requests += due.requests;
      tokens += due.tokens;
      const capacity = slaCapacity(catalogue, { model, requests, tokens, slaMinutes });
      if (!capacity.fits) shortfalls.push({ model: capacity.model, slaMinutes, requests, plannableRequests: Math.floor(capacity.plannableRequests) });
    }
  }
  return shortfalls;
}
