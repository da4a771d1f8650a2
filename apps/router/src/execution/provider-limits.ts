/** A provider's limits as the catalogue gives them (`rateLimits`). */
export interface ProviderLimitSpec {
  readonly rpm: number;
  readonly tpm: number;
  readonly maxConcurrent?: number;
}

/** A call let through: hand it back to `release` with the tokens the provider reported. */
export interface Permit {
  readonly providerId: string;
  readonly estimatedTokens: number;
  /** The latest the provider can have received the call (see SEND_GRACE_MS); lowered when it answers. */
  arrivedBy: number;
}

/**
 * A call reaches the provider some time after it is let through (a new connection, a busy
 * loop): up to this long, or until its answer, it may still arrive, so it still counts in the
 * provider's window. Calls let through evenly but delayed unevenly would otherwise arrive together.
 */
export const SEND_GRACE_MS = 250;

export type Admission = { readonly ok: true; readonly permit: Permit } | { readonly ok: false; readonly waitMs: number };

/**
 * A token bucket: `capacity` at most, refilled at `perMs` per millisecond. It may go below zero
 * when a call used more than its estimate (the debt is paid back before the next call).
 */
export class TokenBucket {
  private level: number;
  private at: number;

  constructor(
    readonly capacity: number,
    readonly perMs: number,
    now: number,
  ) {
    this.level = capacity;
    this.at = now;
  }

  private refill(now: number): void {
    if (now > this.at) this.level = Math.min(this.capacity, this.level + (now - this.at) * this.perMs);
    this.at = Math.max(this.at, now);
  }

  /** Milliseconds until `amount` can be taken (0: now). More than the capacity waits for a full bucket. */
  waitMs(amount: number, now: number): number {
    this.refill(now);
    const need = Math.min(amount, this.capacity) - this.level;
    return need <= 0 ? 0 : Math.ceil(need / this.perMs);
  }

  take(amount: number, now: number): void {
    this.refill(now);
    this.level -= amount;
  }

  /** Gives back (positive) or charges (negative) the difference between the estimate and the use. */
  adjust(amount: number, now: number): void {
    this.refill(now);
    this.level = Math.min(this.capacity, this.level + amount);
  }
}

class ProviderBudget {
  readonly requests: TokenBucket | null = null;
  readonly tokens: TokenBucket | null = null;
  /** Calls per window at most, as the provider counts them (on arrival). */
  readonly window: { readonly ms: number; readonly calls: number } | null = null;
  /** The calls that may fall in the current window. */
  recent: Permit[] = [];
  inFlight = 0;
  pausedUntil = 0;

  constructor(
    readonly spec: ProviderLimitSpec | null,
    now: number,
  ) {
    if (!spec) return;
    const windowMs = Math.max(1_000, 60_000 / spec.rpm);
    this.window = { ms: windowMs, calls: Math.max(1, Math.floor((spec.rpm * windowMs) / 60_000)) };
    const perSecond = spec.rpm / 60;
    // A burst of one call below 50 requests/s: requests spaced evenly never exceed rpm / 60 in
    // any one second. Above, a fiftieth of a second's worth, so timer granularity does not cap it.
    this.requests = new TokenBucket(Math.max(1, Math.floor(perSecond / 50)), perSecond / 1_000, now);
    // Ten seconds of tokens: a minute's worth at once would let a burst of twice the tpm into one minute.
    this.tokens = new TokenBucket(Math.max(1, spec.tpm / 6), spec.tpm / 60_000, now);
  }
}

/**
 * How long until a call may start without the provider counting more than its window allows:
 * a call that arrives by `arrivedBy` shares a window with one starting now if it arrived less
 * than a window ago, so at most `calls - 1` such calls may be open or recent.
 */
function windowWaitMs(budget: ProviderBudget, now: number): number {
  if (!budget.window) return 0;
  const { ms, calls } = budget.window;
  budget.recent = budget.recent.filter((p) => p.arrivedBy > now - ms);
  if (budget.recent.length < calls) return 0;
  const times = budget.recent.map((p) => p.arrivedBy).sort((a, b) => a - b);
  // Room once all but calls - 1 have left the window; an answer lowers arrivedBy and asks again.
  return Math.max(1, times[budget.recent.length - calls] + ms - now);
}

/**
 * The router's view of each provider's limits: requests per minute and tokens per minute as
 * token buckets (tokens taken by the estimate, corrected by the provider's report), calls in
 * flight per provider and across providers, and a pause a 429 asks for. Pure: time is given.
 * A provider without limits (`limitsOf` answers null) counts against the global bound and pauses.
 */
export class ProviderLimits {
  private readonly budgets = new Map<string, ProviderBudget>();
  private inFlight = 0;

  constructor(
    private readonly limitsOf: (providerId: string) => ProviderLimitSpec | null,
    private readonly maxInFlight: number,
  ) {}

  private budget(providerId: string, now: number): ProviderBudget {
    let budget = this.budgets.get(providerId);
    if (budget === undefined) {
      budget = new ProviderBudget(this.limitsOf(providerId), now);
      this.budgets.set(providerId, budget);
    }
    return budget;
  }

  /** Lets a call through now, or says how long to wait (0: until a call in flight ends). */
  tryAcquire(providerId: string, estimatedTokens: number, now: number): Admission {
    if (this.inFlight >= this.maxInFlight) return { ok: false, waitMs: 0 };
    const budget = this.budget(providerId, now);
    if (budget.pausedUntil > now) return { ok: false, waitMs: budget.pausedUntil - now };
    const maxConcurrent = budget.spec?.maxConcurrent;
    if (maxConcurrent !== undefined && budget.inFlight >= maxConcurrent) return { ok: false, waitMs: 0 };
    const waitMs = Math.max(budget.requests?.waitMs(1, now) ?? 0, budget.tokens?.waitMs(estimatedTokens, now) ?? 0, windowWaitMs(budget, now));
    if (waitMs > 0) return { ok: false, waitMs };
    budget.requests?.take(1, now);
    budget.tokens?.take(estimatedTokens, now);
    budget.inFlight += 1;
    this.inFlight += 1;
    const permit: Permit = { providerId, estimatedTokens, arrivedBy: now + SEND_GRACE_MS };
    if (budget.window) budget.recent.push(permit);
    return { ok: true, permit };
  }

  /** The call ended; `usedTokens` as the provider reported them (null: unknown, the estimate stands). */
  release(permit: Permit, usedTokens: number | null, now: number): void {
    this.inFlight -= 1;
    const budget = this.budget(permit.providerId, now);
    budget.inFlight -= 1;
    permit.arrivedBy = Math.min(permit.arrivedBy, now);
    if (usedTokens !== null) budget.tokens?.adjust(permit.estimatedTokens - usedTokens, now);
  }

  /** The provider asked us to wait (429 with Retry-After): no call to it starts before then. */
  pause(providerId: string, untilMs: number, now: number): void {
    const budget = this.budget(providerId, now);
    budget.pausedUntil = Math.max(budget.pausedUntil, untilMs);
  }
}
