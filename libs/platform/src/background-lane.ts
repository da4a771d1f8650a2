import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * How long the lane may hold the event loop before it lets it turn. Short units (a handful of
 * rows) run back to back within it; a long one always ends its slice.
 */
export const LANE_SLICE_MS = 10;

/**
 * Background units (a consumer's transaction that no reader is waiting on) one at a time, with
 * the event loop turning between slices of them. In one process every service shares one
 * thread: work started in the same turn runs back to back before the loop reads a socket again,
 * so a completion reaching billing, the scheduler and the files service at once made one
 * 30–60 ms stretch in which no GET was answered and no fsync callback ran. Once the lane has
 * held the loop for its slice, the loop polls, and work that is not on this lane (read models,
 * relays, HTTP handlers) goes first. A turn is not a unit's price: when the loop is busy a
 * turn takes long, and tiny units each waiting for one would starve the lane.
 */
export class BackgroundLane {
  private tail: Promise<unknown> = Promise.resolve();
  private sliceStartedAt = -Infinity;

  constructor(private readonly sliceMs = LANE_SLICE_MS) {}

  /** Runs `unit` after the units before it; first lets the loop turn when the lane's slice is spent. */
  run<T>(unit: () => Promise<T>): Promise<T> {
    const result = this.tail.then(() => this.turnIfSliceSpent()).then(unit);
    this.tail = result.catch(() => undefined);
    return result;
  }

  private async turnIfSliceSpent(): Promise<void> {
    if (performance.now() - this.sliceStartedAt < this.sliceMs) return;
    await nextTurn();
    this.sliceStartedAt = performance.now();
  }
}

/** The process's one lane: every service in this process shares it (that is the point). */
export const backgroundLane = new BackgroundLane();
