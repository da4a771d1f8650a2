/** How the router calls providers; the hosts may override the defaults. */
export interface RouterOptions {
  /** Per provider HTTP request (real milliseconds); a hung provider is a transient timeout after it. */
  readonly providerTimeoutMs: number;
  /** Provider calls in flight at once across all providers (each provider's own limits come from the catalogue). */
  readonly maxCallsInFlight: number;
  /**
   * Dispatches taken from the log and not yet recorded, at most; past it the router stops
   * consuming until calls end. Each one waiting for room holds its quotes and call chain in
   * memory (~13 KB), so this stays a small multiple of maxCallsInFlight: a burst of due objects
   * waits in the log, not in the heap.
   */
  readonly maxPendingCalls: number;
  /**
   * Enforce the catalogue's limits on `demo://` providers too. Off by default: the demo market
   * enforces none unless asked, and runs faster than any real provider's limits.
   */
  readonly limitDemoProviders: boolean;
  /** Pauses a provider's 429s may impose on one call with no other provider to try, in total, before the 429 is its outcome. */
  readonly rateLimitPatienceMs: number;
  /** Provider batch jobs polled at once. */
  readonly batchPollConcurrency: number;
  /** Simulated milliseconds between polls of a provider batch job, at least (the turnaround sets the rest). */
  readonly minBatchPollMs: number;
}

export const ROUTER_OPTIONS = Symbol('ROUTER_OPTIONS');

export const defaultRouterOptions: RouterOptions = {
  providerTimeoutMs: 30_000,
  maxCallsInFlight: 2_000,
  maxPendingCalls: 5_000,
  limitDemoProviders: false,
  rateLimitPatienceMs: 60_000,
  batchPollConcurrency: 32,
  minBatchPollMs: 1_000,
};
