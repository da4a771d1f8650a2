/** How the router calls providers; the hosts may override the defaults. */
export interface RouterOptions {
  /** Per provider HTTP request (real milliseconds); a hung provider is a transient timeout after it. */
  readonly providerTimeoutMs: number;
  /** Provider calls in flight at once per batch of dispatches. */
  readonly concurrency: number;
  /** Simulated milliseconds between polls of a provider batch job, at least (the turnaround sets the rest). */
  readonly minBatchPollMs: number;
}

export const ROUTER_OPTIONS = Symbol('ROUTER_OPTIONS');

export const defaultRouterOptions: RouterOptions = { providerTimeoutMs: 30_000, concurrency: 32, minBatchPollMs: 1_000 };
