import type { Catalogue } from '@sluice/catalogue';
import type { Pricing } from '@sluice/events';
import { cheapestFeasibleOption, fastestLiveOption, feasibleOptions } from '@sluice/pricing';

/** Plans keep this much headroom on latency and batch turnaround. */
export const PLAN_SAFETY_FACTOR = 1.25;
/** The escalation reserve is the fastest live latency times this, and never under the minimum. */
export const ESCALATION_LATENCY_FACTOR = 3;
export const ESCALATION_MIN_RESERVE_MS = 60_000;
/** A provider batch group waits at most this long (simulated) for more members. */
export const BATCH_MAX_WAIT_MS = 5 * 60_000;
/** A provider batch job carries at most this many objects. */
export const BATCH_MAX_ITEMS = 500;

export interface PlanInput {
  model: string;
  inputTokens: number;
  /** Output tokens the plan budgets for (the reservation's ceiling: latency is estimated on it). */
  outputTokens: number;
  slaMinutes: number | null;
  deadlineAt: Date;
  pricing: Pricing;
  avoidProviders: readonly string[];
}

export interface Plan {
  mode: 'live' | 'provider_batch';
  providerId?: string;
  /** When the object (or its batch group, at the latest) is dispatched. */
  runAt: Date;
  estimatedProviderCostMicros: number;
  /** When an unfinished object is sent to the fastest live provider; null for work that runs at once. */
  escalateAt: Date | null;
  /** Dispatch it live with `escalated` set (the router then picks the fastest provider). */
  escalated: boolean;
  reason: string;
}

/**
 * Time before the deadline kept for a last live attempt on the fastest provider: the object
 * is escalated then if it is not done.
 */
export function escalationReserveMs(catalogue: Catalogue, input: PlanInput, now: Date): number {
  const fastest = fastestLiveOption(catalogue, input.model, input, now);
  const latency = fastest ? fastest.expectedDoneAt.getTime() - fastest.runAt.getTime() : 0;
  return Math.max(ESCALATION_MIN_RESERVE_MS, Math.ceil(latency * ESCALATION_LATENCY_FACTOR));
}

/**
 * Where and when one object runs, for the least provider cost that still meets its deadline
 * with an escalation reserve left: at once (no SLA, real-time), in a cheaper price window,
 * or in a provider batch job (flushed within BATCH_MAX_WAIT_MS, early enough for its
 * turnaround). When nothing fits any more it goes live at once, escalated.
 */
export function planObject(catalogue: Catalogue, input: PlanInput, now: Date): Plan {
  const work = { inputTokens: input.inputTokens, outputTokens: input.outputTokens };
  if (input.pricing.kind === 'realtime' || input.slaMinutes === null) {
    const liveNow = feasibleOptions(catalogue, input.model, work, now, new Date(8.64e15), { avoidProviders: input.avoidProviders }).find(
      (o) => o.mode === 'live' && o.runAt.getTime() === now.getTime(),
    );
    return {
      mode: 'live',
      runAt: now,
      estimatedProviderCostMicros: liveNow?.providerCostMicros ?? 0,
      escalateAt: null,
      escalated: false,
      reason: input.pricing.kind === 'realtime' ? 'realtime: run at once' : 'no SLA: run at once',
    };
  }
  const escalateAt = new Date(input.deadlineAt.getTime() - escalationReserveMs(catalogue, input, now));
  const option = cheapestFeasibleOption(catalogue, input.model, work, now, escalateAt, {
    avoidProviders: input.avoidProviders,
    safetyFactor: PLAN_SAFETY_FACTOR,
  });
  if (!option) {
    const fastest = fastestLiveOption(catalogue, input.model, work, now, { avoidProviders: input.avoidProviders });
    return {
      mode: 'live',
      providerId: fastest?.providerId,
      runAt: now,
      estimatedProviderCostMicros: fastest?.providerCostMicros ?? 0,
      escalateAt: null,
      escalated: true,
      reason: 'deadline near: fastest live provider now',
    };
  }
  if (option.mode === 'provider_batch') {
    const turnaroundMs = option.expectedDoneAt.getTime() - option.runAt.getTime();
    const latestFlush = escalateAt.getTime() - turnaroundMs;
    return {
      mode: 'provider_batch',
      providerId: option.providerId,
      runAt: new Date(Math.min(now.getTime() + BATCH_MAX_WAIT_MS, latestFlush)),
      estimatedProviderCostMicros: option.providerCostMicros,
      escalateAt,
      escalated: false,
      reason: `provider batch job on ${option.providerId}`,
    };
  }
  const waits = option.runAt.getTime() > now.getTime();
  return {
    mode: 'live',
    providerId: option.providerId,
    runAt: option.runAt,
    estimatedProviderCostMicros: option.providerCostMicros,
    escalateAt,
    escalated: false,
    reason: waits ? `wait for the ${option.window ?? 'list'} price window on ${option.providerId}` : `cheapest live provider now: ${option.providerId}`,
  };
}

/** Exponential backoff from 2 s, doubling per attempt, capped at 2 min, never sooner than the provider asked. */
export function retryDelayMs(attempt: number, retryAfterMs?: number): number {
  const backoff = Math.min(120_000, 2_000 * 2 ** Math.max(0, attempt - 1));
  return Math.max(backoff, retryAfterMs ?? 0);
}

/** An SLA object's retries back off up to this (simulated time): a day-long window sees ~150 tries. */
export const SLA_RETRY_CAP_MS = 10 * 60_000;
/** Retries spread by up to this share either way, so objects that failed together do not return together. */
export const RETRY_JITTER = 0.2;

/**
 * The backoff of an SLA object's retry: exponential from 2 s, capped at SLA_RETRY_CAP_MS, spread
 * by `unit` (0–1, the caller's jitter draw), never sooner than the provider asked.
 */
export function slaRetryDelayMs(attempt: number, unit: number, retryAfterMs?: number): number {
  const backoff = Math.min(SLA_RETRY_CAP_MS, 2_000 * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  const spread = backoff * (1 + RETRY_JITTER * (2 * unit - 1));
  return Math.round(Math.max(spread, retryAfterMs ?? 0));
}

/**
 * The latest moment a retry of the object can start and still finish inside its window: the
 * deadline less the fastest live provider's expected time for it, with the plans' headroom.
 */
export function latestRetryStart(catalogue: Catalogue, input: PlanInput, now: Date): Date {
  const fastest = fastestLiveOption(catalogue, input.model, { inputTokens: input.inputTokens, outputTokens: input.outputTokens }, now);
  const latency = fastest ? fastest.expectedDoneAt.getTime() - fastest.runAt.getTime() : 0;
  return new Date(input.deadlineAt.getTime() - Math.ceil(latency * PLAN_SAFETY_FACTOR));
}
