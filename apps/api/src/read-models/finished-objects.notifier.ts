import { Injectable } from '@nestjs/common';
import type { SluiceEvent } from '@sluice/events';
import { admissionPriority } from '@sluice/platform';
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
    return this.waiter(
      (finished, rows) => {
        if (!finished.has(objectId)) return false;
        woken = { row: rows.get(objectId) };
        return true;
      },
      () => {
        const reported = woken;
        woken = null;
        return reported;
      },
    );
  }

  /**
   * Follows many objects at once (a submission waiting for its items): collects the ids among
   * them that may have finished, each with the row this instance committed when there is one,
   * so the waiter re-reads only the others rather than all it waits for. Close it when done.
   */
  watch(objectIds: ReadonlySet<string>): FinishedObjectsWatch {
    let reported = new Map<string, ObjectRow | undefined>();
    return this.waiter(
      (finished, rows) => {
        for (const id of finished) if (objectIds.has(id)) reported.set(id, rows.get(id) ?? reported.get(id));
        return reported.size > 0;
      },
      () => {
        const taken = reported;
        reported = new Map();
        return taken.size > 0 ? taken : null;
      },
    );
  }

  /**
   * A listener plus its wake-up: `heard` records a commit and says whether it concerns this
   * waiter; `next` resolves with `take()` as soon as one did (or already had), or after `ms`.
   */
  private waiter<T>(heard: (objectIds: ReadonlySet<string>, rows: ReadonlyMap<string, ObjectRow>) => boolean, take: () => T | null) {
    let pending = false;
    let wake: (() => void) | null = null;
    const listener: Listener = (finished, rows) => {
      if (!heard(finished, rows)) return;
      pending = true;
      wake?.();
    };
    this.listeners.add(listener);
    // The work this request waits for must not wait for submissions being admitted.
    const stopAwaiting = admissionPriority.awaitResults();
    return {
      next: (ms: number) =>
        new Promise<T | null>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            wake = null;
            pending = false;
            resolve(take());
          };
          const timer = setTimeout(done, ms);
          wake = done;
          if (pending) done();
        }),
      close: () => {
        this.listeners.delete(listener);
        stopAwaiting();
        wake?.();
      },
    };
  }
}

export interface FinishedObjectsWatch {
  /**
   * The followed ids reported as possibly finished since the last call (waiting up to `ms` for
   * one), each with the latest row this instance committed for it, if any; null if none.
   */
  next(ms: number): Promise<ReadonlyMap<string, ObjectRow | undefined> | null>;
  close(): void;
}

export interface ObjectFollow {
  /** The next wake-up for the object, with its committed row when this instance projected it; null after `ms`. */
  next(ms: number): Promise<{ row: ObjectRow | undefined } | null>;
  close(): void;
}
