import type { Prompt } from '@sluice/providers';
import { ProviderRateLimitedError } from '@sluice/providers';
import { LiveCaller, type CallOutcome, type FailoverOutcome, type LiveCall, type LiveCallerDeps, type Quote, type TextSink } from '@sluice/routing';
import { ProviderLimits, type Permit } from './provider-limits';

interface Waiter {
  readonly tokens: number;
  readonly resolve: (permit: Permit) => void;
  readonly reject: (err: Error) => void;
}

export class GateClosedError extends Error {
  constructor() {
    super('the router is stopping');
  }
}

/**
 * Queues calls per provider (first come, first served) until ProviderLimits lets them through.
 * A provider with no room keeps only its own callers waiting; the others go on.
 */
export class ProviderGate {
  private readonly waiting = new Map<string, Waiter[]>();
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Number.POSITIVE_INFINITY;
  private closed = false;

  constructor(
    private readonly limits: ProviderLimits,
    private readonly now: () => number = Date.now,
  ) {}

  acquire(providerId: string, tokens: number): Promise<Permit> {
    if (this.closed) return Promise.reject(new GateClosedError());
    return new Promise<Permit>((resolve, reject) => {
      const queue = this.waiting.get(providerId) ?? [];
      queue.push({ tokens, resolve, reject });
      this.waiting.set(providerId, queue);
      this.pump();
    });
  }

  release(permit: Permit, usedTokens: number | null): void {
    this.limits.release(permit, usedTokens, this.now());
    this.pump();
  }

  pause(providerId: string, forMs: number): void {
    const now = this.now();
    this.limits.pause(providerId, now + forMs, now);
  }

  /** Refuses every waiting and later call (the service is stopping). */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const queue of this.waiting.values()) for (const waiter of queue) waiter.reject(new GateClosedError());
    this.waiting.clear();
  }

  private pump(): void {
    const now = this.now();
    let nextWake = Number.POSITIVE_INFINITY;
    for (const [providerId, queue] of this.waiting) {
      while (queue.length > 0) {
        const admission = this.limits.tryAcquire(providerId, queue[0].tokens, now);
        if (!admission.ok) {
          // 0: a call in flight must end first, and its release pumps again.
          if (admission.waitMs > 0) nextWake = Math.min(nextWake, now + admission.waitMs);
          break;
        }
        queue.shift()?.resolve(admission.permit);
      }
      if (queue.length === 0) this.waiting.delete(providerId);
    }
    if (nextWake < this.timerAt) {
      if (this.timer) clearTimeout(this.timer);
      this.timerAt = nextWake;
      this.timer = setTimeout(() => {
        this.timer = null;
        this.timerAt = Number.POSITIVE_INFINITY;
        this.pump();
      }, nextWake - now);
    }
  }
}

/** The pause after a 429 that named no wait. */
const DEFAULT_PAUSE_MS = 1_000;

/** Tokens a call may take before the provider says: the prompt at ~4 characters a token, and the most output. */
export function estimatedTokens(input: Prompt, maxOutputTokens: number): number {
  const chars = typeof input === 'string' ? input.length : JSON.stringify(input).length;
  return Math.ceil(chars / 4) + maxOutputTokens;
}

/**
 * A LiveCaller whose every provider call waits for room under that provider's limits. A 429
 * pauses the provider for every caller (for its Retry-After); a call with one candidate then
 * waits its turn again instead of failing the attempt, for up to `patienceMs` of pauses; a call
 * with others to fail over to goes on to the next at once.
 */
export class LimitedLiveCaller extends LiveCaller {
  private readonly failingOver = new WeakSet<LiveCall>();

  constructor(
    deps: LiveCallerDeps,
    private readonly gate: ProviderGate,
    private readonly patienceMs: number,
  ) {
    super(deps);
  }

  override async failover(candidates: readonly Quote[], call: LiveCall, until?: number, onText?: TextSink): Promise<FailoverOutcome> {
    if (candidates.length > 1) this.failingOver.add(call);
    try {
      return await super.failover(candidates, call, until, onText);
    } finally {
      this.failingOver.delete(call);
    }
  }

  override async call(quote: Quote, call: LiveCall, onText?: TextSink): Promise<CallOutcome> {
    const tokens = estimatedTokens(call.input, call.maxOutputTokens);
    let paused = 0;
    for (;;) {
      const permit = await this.gate.acquire(quote.providerId, tokens);
      let outcome: CallOutcome | null = null;
      try {
        outcome = await super.call(quote, call, onText);
      } finally {
        this.gate.release(permit, outcome?.ok ? outcome.result.inputTokens + outcome.result.outputTokens : null);
      }
      if (outcome.ok || !(outcome.error instanceof ProviderRateLimitedError)) return outcome;
      const pauseMs = outcome.error.retryAfterMs ?? DEFAULT_PAUSE_MS;
      this.gate.pause(quote.providerId, pauseMs);
      paused += pauseMs;
      if (this.failingOver.has(call) || paused > this.patienceMs) return outcome;
    }
  }
}
