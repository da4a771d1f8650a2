import type { PGlite } from '@electric-sql/pglite';

export interface CheckpointOptions {
  /** A checkpoint once this much WAL was written since the last one. */
  walBytes?: number;
  /** ... or once this long passed with any WAL written (PostgreSQL's checkpoint_timeout). */
  maxAgeMs?: number;
  /** How often the WAL written is looked at. */
  pollMs?: number;
}

export interface Checkpoints {
  /** Stops the checks, after the one in flight (call before closing the database). */
  stop(): Promise<void>;
  /** Checkpoints run so far. */
  readonly count: number;
}

export const CHECKPOINT_WAL_BYTES = 128 * 1024 * 1024;

/**
 * The checkpointer's job for an embedded database. PGlite runs PostgreSQL in single-user mode,
 * which has no checkpointer process: nothing checkpoints between open and close, so every WAL
 * segment written since the open stays on disk (gigabytes on a long run) and a reopen after a
 * kill replays all of them. A CHECKPOINT run by the backend itself writes the dirty buffers and
 * lets it remove or recycle the segments before it. It waits for the transaction in progress,
 * like any statement on the database.
 */
export function startCheckpoints(db: PGlite, options: CheckpointOptions = {}): Checkpoints {
  const walBytes = options.walBytes ?? CHECKPOINT_WAL_BYTES;
  const maxAgeMs = options.maxAgeMs ?? 5 * 60_000;
  let last = performance.now();
  let count = 0;
  let stopped = false;
  let inFlight: Promise<void> = Promise.resolve();
  // Where the WAL ended after the last checkpoint: nothing written since, no checkpoint for age.
  let endAfterLast: string | undefined;
  const check = async () => {
    const { rows } = await db.query<{ end: string; behind: number }>(
      'SELECT pg_current_wal_lsn()::text AS end, pg_wal_lsn_diff(pg_current_wal_lsn(), redo_lsn)::float8 AS behind FROM pg_control_checkpoint()',
    );
    const [{ end, behind }] = rows;
    const due = behind >= walBytes || (end !== endAfterLast && performance.now() - last >= maxAgeMs);
    if (stopped || !due) return;
    await db.exec('CHECKPOINT');
    endAfterLast = (await db.query<{ end: string }>('SELECT pg_current_wal_lsn()::text AS end')).rows[0].end;
    last = performance.now();
    count += 1;
  };
  let running = false;
  const timer = setInterval(() => {
    if (stopped || running || db.closed) return;
    running = true;
    // A failed check (the database closing under it) is tried again at the next poll.
    inFlight = check()
      .catch(() => undefined)
      .finally(() => {
        running = false;
      });
  }, options.pollMs ?? 5_000);
  timer.unref();
  return {
    get count() {
      return count;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await inFlight;
    },
  };
}
