import { Injectable } from '@nestjs/common';
import type { SluiceEvent } from '@sluice/events';

/** Events after which an object may have reached a final status (or, real-time, got its charge). */
export function possiblyFinishedObjectIds(events: readonly SluiceEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'ObjectCompleted' || e.type === 'ObjectAbandoned' || e.type === 'FundsDenied' || e.type === 'Charged' ? [e.payload.objectId] : []));
}

/**
 * Wakes the requests that wait for their objects (POST /v0/infer/ with no-SLA items) when this
 * instance's projection commits a final status. Other instances project other partitions, so
 * waiters also poll; this only makes the common case fast.
 */
@Injectable()
export class FinishedObjectsNotifier {
  private readonly listeners = new Set<(objectIds: ReadonlySet<string>) => void>();

  notify(objectIds: readonly string[]): void {
    if (objectIds.length === 0 || this.listeners.size === 0) return;
    const ids = new Set(objectIds);
    for (const listener of this.listeners) listener(ids);
  }

  /** Resolves when one of `objectIds` may have finished, or after `ms` (real time). */
  next(objectIds: ReadonlySet<string>, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve();
      };
      const listener = (finished: ReadonlySet<string>) => {
        for (const id of finished) if (objectIds.has(id)) return done();
      };
      const timer = setTimeout(done, ms);
      this.listeners.add(listener);
    });
  }

  /**
   * Follows many objects at once (a submission waiting for its items): collects the ids among
   * them that may have finished, so the waiter re-reads only those rather than all it waits for.
   * Close it when done.
   */
  watch(objectIds: ReadonlySet<string>): FinishedObjectsWatch {
    let reported: string[] = [];
    let wake: (() => void) | null = null;
    const listener = (finished: ReadonlySet<string>) => {
      for (const id of finished) if (objectIds.has(id)) reported.push(id);
      if (reported.length > 0) wake?.();
    };
    this.listeners.add(listener);
    return {
      next: (ms) =>
        new Promise((resolve) => {
          const done = () => {
            clearTimeout(timer);
            wake = null;
            const ids = reported;
            reported = [];
            resolve(ids.length > 0 ? ids : null);
          };
          const timer = setTimeout(done, ms);
          wake = done;
          if (reported.length > 0) done();
        }),
      close: () => {
        this.listeners.delete(listener);
        wake?.();
      },
    };
  }
}

export interface FinishedObjectsWatch {
  /** The followed ids reported as possibly finished since the last call (waiting up to `ms` for one); null if none. */
  next(ms: number): Promise<string[] | null>;
  close(): void;
}
