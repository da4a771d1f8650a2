/** A delivery is retried for this long after its event, then given up (`failed`). */
export const WEBHOOK_RETRY_FOR_MS = 24 * 60 * 60_000;
/** The longest wait between two attempts. */
export const WEBHOOK_MAX_DELAY_MS = 60 * 60_000;

/**
 * The wait after the `attempts`-th failed attempt: `baseMs` doubled each time, capped at an
 * hour, with jitter (half to all of it) so receivers coming back are not hit all at once.
 */
export function retryDelayMs(attempts: number, baseMs: number, random: () => number = Math.random): number {
  const exponential = Math.min(WEBHOOK_MAX_DELAY_MS, baseMs * 2 ** Math.min(30, Math.max(0, attempts - 1)));
  return Math.round(exponential / 2 + (random() * exponential) / 2);
}

/** The next attempt's time after a failure at `now`, or null when it would fall past the retry window. */
export function nextAttemptAt(createdAt: Date, now: Date, attempts: number, baseMs: number, random?: () => number): Date | null {
  const at = new Date(now.getTime() + retryDelayMs(attempts, baseMs, random));
  return at.getTime() - createdAt.getTime() > WEBHOOK_RETRY_FOR_MS ? null : at;
}
