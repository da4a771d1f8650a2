import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Background units (a consumer's transaction that no reader is waiting on) one at a time, each
 * in a turn of the event loop of its own. In one process every service shares one thread: work
 * started in the same turn runs back to back before the loop reads a socket again, so a
 * completion reaching billing, the scheduler and the files service at once made one 30–60 ms
 * stretch in which no GET was answered and no fsync callback ran. Between two units the loop
 * now polls, and work that is not on this lane (read models, relays, HTTP handlers) goes first.
 */
export class BackgroundLane {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `unit` after the units before it, one event-loop turn after the previous one ended. */
  run<T>(unit: () => Promise<T>): Promise<T> {
    const result = this.tail.then(() => nextTurn()).then(unit);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/** The process's one lane: every service in this process shares it (that is the point). */
export const backgroundLane = new BackgroundLane();
