import {
  expectedLatencyMs,
  offerFor,
  providerBatchPrice,
  providerPriceAt,
  providersFor,
  tokenCostMicros,
  type Catalogue,
  type PriceWindow,
  type ProviderSpec,
} from '@sluice/catalogue';

export interface WorkSize {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

export type ExecutionMode = 'live' | 'provider_batch';

/** One way the market can run an object: where, how, from when, and what the provider charges. */
export interface ExecutionOption {
  readonly mode: ExecutionMode;
  readonly providerId: string;
  readonly runAt: Date;
  readonly providerCostMicros: number;
  /** When the result is expected back: runAt plus the live latency or the batch turnaround. */
  readonly expectedDoneAt: Date;
  /** The scheduled price window in force at runAt (e.g. "off-peak"); null at list price or for a batch job. */
  readonly window: string | null;
}

export interface OptionConstraints {
  /** Providers not to count on (they failed this object before). */
  readonly avoidProviders?: readonly string[];
  /** Multiplies expected latency and batch turnaround so a plan keeps headroom (default 1). */
  readonly safetyFactor?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

function minuteOfDay(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
}

/** The first instant at or after `from` when the UTC clock reads `hhmm`. */
function nextOccurrence(hhmm: string, from: Date): Date {
  const dayStart = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate());
  const at = dayStart + minuteOfDay(hhmm) * 60_000;
  return new Date(at >= from.getTime() ? at : at + DAY_MS);
}

/**
 * Instants where the provider's live price can change, within a day of `now` (schedules repeat
 * daily, so the first occurrence of each boundary is the earliest chance at its price).
 */
function priceChangeInstants(provider: ProviderSpec, modelId: string, now: Date): Date[] {
  const schedule: readonly PriceWindow[] = offerFor(provider, modelId).priceSchedule ?? provider.priceSchedule ?? [];
  return schedule.flatMap((w) => [nextOccurrence(w.fromUtc, now), nextOccurrence(w.toUtc, now)]);
}

function liveOptions(provider: ProviderSpec, modelId: string, work: WorkSize, now: Date, safety: number): ExecutionOption[] {
  const latencyMs = Math.ceil(expectedLatencyMs(provider, work.outputTokens) * safety);
  const starts = [now, ...priceChangeInstants(provider, modelId, now).filter((t) => t.getTime() > now.getTime())];
  return starts.map((runAt) => {
    const price = providerPriceAt(provider, modelId, runAt);
    return {
      mode: 'live',
      providerId: provider.id,
      runAt,
      providerCostMicros: tokenCostMicros(price, work.inputTokens, work.outputTokens),
      expectedDoneAt: new Date(runAt.getTime() + latencyMs),
      window: price.window,
    };
  });
}

function batchOption(provider: ProviderSpec, modelId: string, work: WorkSize, now: Date, safety: number): ExecutionOption[] {
  const price = providerBatchPrice(provider, modelId);
  if (!price || !provider.batch) return [];
  const turnaroundMs = Math.ceil(provider.batch.turnaroundSeconds * 1000 * safety);
  return [
    {
      mode: 'provider_batch',
      providerId: provider.id,
      runAt: now,
      providerCostMicros: tokenCostMicros(price, work.inputTokens, work.outputTokens),
      expectedDoneAt: new Date(now.getTime() + turnaroundMs),
      window: null,
    },
  ];
}

/**
 * Every way the market can run the work and be done by the deadline, cheapest first (then
 * earliest, then live before batch, then catalogue order). Throws ModelNotFoundError for an
 * unknown model.
 */
export function feasibleOptions(
  catalogue: Catalogue,
  model: string,
  work: WorkSize,
  now: Date,
  deadline: Date,
  constraints: OptionConstraints = {},
): ExecutionOption[] {
  const safety = constraints.safetyFactor ?? 1;
  const avoid = new Set(constraints.avoidProviders ?? []);
  const options = providersFor(catalogue, model)
    .filter(({ provider }) => !avoid.has(provider.id))
    .flatMap(({ provider, offer }) => [
      ...liveOptions(provider, offer.model, work, now, safety),
      ...batchOption(provider, offer.model, work, now, safety),
    ])
    .filter((o) => o.expectedDoneAt.getTime() <= deadline.getTime());
  return options
    .map((option, order) => ({ option, order }))
    .sort(
      (a, b) =>
        a.option.providerCostMicros - b.option.providerCostMicros ||
        a.option.runAt.getTime() - b.option.runAt.getTime() ||
        Number(a.option.mode === 'provider_batch') - Number(b.option.mode === 'provider_batch') ||
        a.order - b.order,
    )
    .map(({ option }) => option);
}

/**
 * The cheapest way the market can run the work in time: live now, live in a cheaper scheduled
 * price window that starts and (by the latency model) finishes before the deadline, or a
 * provider batch job whose turnaround fits. Null when nothing fits.
 */
export function cheapestFeasibleOption(
  catalogue: Catalogue,
  model: string,
  work: WorkSize,
  now: Date,
  deadline: Date,
  constraints: OptionConstraints = {},
): ExecutionOption | null {
  return feasibleOptions(catalogue, model, work, now, deadline, constraints)[0] ?? null;
}

/** The live provider expected to answer first (for deadline escalation); null if none serves the model. */
export function fastestLiveOption(
  catalogue: Catalogue,
  model: string,
  work: WorkSize,
  now: Date,
  constraints: Pick<OptionConstraints, 'avoidProviders'> = {},
): ExecutionOption | null {
  const avoid = new Set(constraints.avoidProviders ?? []);
  const candidates = providersFor(catalogue, model).filter(({ provider }) => !avoid.has(provider.id));
  let best: ExecutionOption | null = null;
  for (const { provider, offer } of candidates) {
    const option = liveOptions(provider, offer.model, work, now, 1)[0];
    if (!best || option.expectedDoneAt.getTime() < best.expectedDoneAt.getTime()) best = option;
  }
  return best;
}
