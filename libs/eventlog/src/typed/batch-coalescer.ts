import { setImmediate as nextTurn } from 'node:timers/promises';

interface Waiting<T> {
  items: readonly T[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

export interface CoalescerOptions {
  /** A joined call takes batches while it holds fewer items than this (a first batch always fits); 5,000 by default. */
  maxItems?: number;
  /**
   * Turns of the event loop (setImmediate) a call that starts from idle waits for company:
   * the partitions of one log deliver what one publish appended a few callbacks apart (each
   * partition's read completes on its own), and without the wait the first of them runs alone.
   */
  gatherTurns?: number;
}

/**
 * Joins the batches that several partitions of one consumer hand over while a batch is being
 * handled into one call of `run` (one transaction instead of one per partition): the first
 * batch runs at once (or after `gatherTurns` turns of the event loop), and whatever arrives
 * meanwhile runs next, together. Each caller's promise settles when the call carrying its
 * items settled.
 *
 * Order is kept within each caller's items (one partition's records), which is the only
 * order the log promises. When a joined call fails, each of its batches is run again alone,
 * so a poison record fails only its own partition's batch (which then goes through the usual
 * retries and dead-lettering) and never the batches it happened to travel with.
 */
export class BatchCoalescer<T> {
  private queue: Waiting<T>[] = [];
  private draining = false;

  private readonly maxItems: number;
  private readonly gatherTurns: number;

  constructor(
    private readonly run: (items: T[]) => Promise<void>,
    options: CoalescerOptions = {},
  ) {
    this.maxItems = options.maxItems ?? 5_000;
    this.gatherTurns = options.gatherTurns ?? 0;
  }

  submit(items: readonly T[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ items, resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      for (let turn = 0; turn < this.gatherTurns; turn++) await nextTurn();
      while (this.queue.length > 0) await this.runNext(this.takeNext());
    } finally {
      this.draining = false;
    }
  }

  private takeNext(): Waiting<T>[] {
    let count = 0;
    let taken = 0;
    while (taken < this.queue.length && (taken === 0 || count + this.queue[taken].items.length <= this.maxItems)) {
      count += this.queue[taken].items.length;
      taken++;
    }
    return this.queue.splice(0, taken);
  }

  private async runNext(batches: Waiting<T>[]): Promise<void> {
    try {
      await this.run(batches.flatMap((b) => b.items));
      for (const b of batches) b.resolve();
      return;
    } catch (err) {
      if (batches.length === 1) {
        batches[0].reject(err);
        return;
      }
    }
    for (const b of batches) {
      try {
        await this.run([...b.items]);
        b.resolve();
      } catch (err) {
        b.reject(err);
      }
    }
  }
}
