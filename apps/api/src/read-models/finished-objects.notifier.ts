import { Injectable } from '@nestjs/common';
import type { SluiceEvent } from '@sluice/events';
import type { ObjectRow } from './object.projection';

/** Events after which an object may have reached a final status (or, real-time, got its charge). */
export function possiblyFinishedObjectIds(events: readonly SluiceEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'ObjectCompleted' || e.type === 'ObjectAbandoned' || e.type === 'FundsDenied' || e.type === 'Charged' ? [e.payload.objectId] : []));
}

type Listener = (objectIds: ReadonlySet<string>, rows: ReadonlyMap<string, ObjectRow>) => void;

/**
 * Wakes the requests that wait for their objects (POST /v0/infer/ with no-SLA items, POST
 * /v1/inference) when this instance's projection commits a final status, handing over the rows
 * it just committed so the waiter need not read them back. Other instances project other
 * partitions, so waiters also poll; this only makes the common case fast.
 */
@Injectable()
export class FinishedObjectsNotifier {
  private readonly listeners = new Set<Listener>();

  /** After a projection commit: `objectIds` may have finished; `rows` are committed rows of (some of) them. */
  notify(objectIds: readonly string[], rows: ReadonlyMap<string, ObjectRow> = new Map()): void {
    if (objectIds.length === 0 || this.listeners.size === 0) return;
    const ids = new Set(objectIds);
    for (const listener of this.listeners) listener(ids, rows);
  }

  /**
   * Follows one object, from before it is submitted (so no commit is missed): each `next`
   * resolves at the next wake-up for it, with the row this instance committed when there is
   * one, or with null after `ms` (real time). Close it when done.
   */
  follow(objectId: string): ObjectFollow {
    let woken: { row: ObjectRow | undefined } | null = null;
    let wake: (() => void) | null = null;
    const listener: Listener = (finished, rows) => {
      if (!finished.has(objectId)) return;
      woken = { row: rows.get(objectId) };
      wake?.();
    };
    this.listeners.add(listener);
    return {
      next: (ms) =>
        new Promise((resolve) => {
          const done = () => {
            clearTimeout(timer);
            wake = null;
            const reported = woken;
            woken = null;
            resolve(reported);
          };
          const timer = setTimeout(done, ms);
          wake = done;
          if (woken !== null) done();
        }),
      close: () => {
        this.listeners.delete(listener);
        wake?.();
      },
    };
  }

  /**
   * Follows many objects at once (a submission waiting for its items): collects the ids among
   * them that may have finished, so the waiter re-reads only those rather than all it waits for.
   * Close it when done.
   */
  watch(objectIds: ReadonlySet<string>): FinishedObjectsWatch {
    let reported: string[] = [];
    let wake: (() => void) | null = null;
    const listener: Listener = (finished) => {
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

export interface ObjectFollow {
  /** The next wake-up for the object, with its committed row when this instance projected it; null after `ms`. */
  next(ms: number): Promise<{ row: ObjectRow | undefined } | null>;
  close(): void;
}
