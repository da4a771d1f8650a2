/**
 * Time as the services see it. In production it is the wall clock; demos, tests and
 * benchmarks may run it faster (`scale` simulated ms per real ms) so that a one-day SLA
 * window passes in seconds. Every service of a process shares one clock; distributed
 * processes given the same origin and scale agree on it.
 */
export interface Clock {
  /** Simulated milliseconds per real millisecond (1 = wall clock). */
  readonly scale: number;
  now(): Date;
  /** Waits `ms` of simulated time. */
  sleep(ms: number): Promise<void>;
  /** Real milliseconds that `ms` of simulated time take. */
  toRealMs(ms: number): number;
}

/**
 * `origin` is the simulated time at the real moment `realOrigin` (default: now). Two clocks
 * given the same three figures agree, e.g. on two threads of one process.
 */
export function createClock(options: { scale?: number; origin?: Date; realOrigin?: number; realNow?: () => number } = {}): Clock {
  const scale = options.scale ?? 1;
  if (!(scale > 0)) throw new Error(`clock scale must be positive, got ${scale}`);
  const realNow = options.realNow ?? Date.now;
  const realOrigin = options.realOrigin ?? realNow();
  const origin = options.origin?.getTime() ?? realOrigin;
  const toRealMs = (ms: number) => Math.max(0, ms / scale);
  return {
    scale,
    now: () => new Date(origin + (realNow() - realOrigin) * scale),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, toRealMs(ms)).unref?.()),
    toRealMs,
  };
}

export const wallClock: Clock = createClock();
