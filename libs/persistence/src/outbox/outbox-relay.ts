import { setImmediate as nextTurn } from 'node:timers/promises';
import type { EventLog, OutgoingRecord } from '@sluice/eventlog';
import type { TransactionalClient } from '../raw-sql-client';
import { decodeBundle, type OutboxRecord } from './outbox-bundle';

export interface OutboxRelayOptions {
  /** The service's Prisma client. */
  client: TransactionalClient;
  log: Pick<EventLog, 'publish'>;
  /** Rows published per transaction. */
  batchSize?: number;
  /** Safety net: how often pending rows are looked for without a notify(). */
  pollIntervalMs?: number;
  /** How long one batch may take (publish included) before its transaction is abandoned. */
  batchTimeoutMs?: number;
  onError?: (err: unknown) => void;
  /** Awaited before each batch (e.g. to let submissions being admitted go first). */
  beforeBatch?: () => Promise<void>;
  /**
   * Turns of the event loop (setImmediate) the relay waits after a notify() before its batch,
   * so that the commits other callbacks are finishing meanwhile go out in the same batch.
   */
  gatherTurns?: number;
  /**
   * This relay is the only one of its database (the embedded engine: one process). It then
   * reads a batch, publishes it and deletes it without holding a transaction through the
   * publish, so the database's one connection serves others while the log syncs. Still
   * at-least-once: a crash before the delete publishes those rows again.
   */
  sole?: boolean;
}

interface OutboxRow {
  id: bigint;
  topic: string;
  key: string;
  headers: Record<string, string>;
  value: Uint8Array;
  /** The row holds many events (see appendToOutbox). */
  bundle: boolean;
}

/** Arbitrary constant naming "the outbox relay" among advisory locks of one database. */
const RELAY_LOCK_KEY = 0x5_1c_e0_0b;

/**
 * Publishes outbox rows to the log in id order and deletes them once `publish` resolved.
 * At-least-once: a crash between publish and the delete's commit publishes those rows again
 * on restart (consumers dedupe by eventId); a crash before publish loses nothing, as the
 * rows are still there.
 *
 * Each batch runs in a transaction holding an advisory lock, so when several replicas of a
 * service run a relay only one publishes at a time and order is kept.
 */
export class OutboxRelay {
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly batchTimeoutMs: number;
  private loop: Promise<void> | null = null;
  private stopping = false;
  private woken = false;
  private wake: (() => void) | null = null;

  constructor(private readonly options: OutboxRelayOptions) {
    this.batchSize = options.batchSize ?? 256;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.batchTimeoutMs = options.batchTimeoutMs ?? 30_000;
  }

  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.loop = this.run();
  }

  /** Call after committing a transaction that appended to the outbox: publishes promptly. */
  notify(): void {
    this.woken = true;
    this.wake?.();
  }

  /** Stops after the batch in flight (whose rows are then published and deleted). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    this.loop = null;
  }

  /** Publishes every pending row now; returns how many were published. */
  async publishPending(): Promise<number> {
    let total = 0;
    for (;;) {
      await this.options.beforeBatch?.();
      const published = await this.publishBatch();
      total += published;
      if (published < this.batchSize || this.stopping) return total;
    }
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        for (let turn = 0; turn < (this.options.gatherTurns ?? 0); turn++) await nextTurn();
        // Commits notified until now are covered by this batch, which starts after them.
        this.woken = false;
        await this.publishPending();
      } catch (err) {
        this.options.onError?.(err);
      }
      if (!this.woken && !this.stopping) await this.sleepUntilWoken(this.pollIntervalMs);
    }
  }

  private sleepUntilWoken(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  /**
   * Returns how many rows were published (0 as well when another relay holds the lock). One
   * statement takes the lock and removes the batch; the removal commits only after `publish`
   * resolved, so a failed or interrupted publish leaves the rows in place.
   */
  private publishBatch(): Promise<number> {
    if (this.options.sole) return this.publishBatchAlone();
    return this.options.client.$transaction(
      async (tx) => {
        const rows = await tx.$queryRaw<OutboxRow[]>`
          WITH relay_lock AS (SELECT pg_try_advisory_xact_lock(${RELAY_LOCK_KEY}) AS locked)
          DELETE FROM outbox WHERE id IN (
            SELECT id FROM outbox WHERE (SELECT locked FROM relay_lock) ORDER BY id LIMIT ${this.batchSize})
          RETURNING id, topic, key, headers, value, bundle`;
        if (rows.length === 0) return 0;
        rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        for (const run of runsByTopic(rows.flatMap(recordsOf))) await this.options.log.publish(run.topic, run.records);
        return rows.length;
      },
      { timeout: this.batchTimeoutMs },
    );
  }

  private async publishBatchAlone(): Promise<number> {
    const { client, log } = this.options;
    const rows = await client.$queryRaw<OutboxRow[]>`
      SELECT id, topic, key, headers, value, bundle FROM outbox ORDER BY id LIMIT ${this.batchSize}`;
    if (rows.length === 0) return 0;
    for (const run of runsByTopic(rows.flatMap(recordsOf))) await log.publish(run.topic, run.records);
    await client.$executeRaw`DELETE FROM outbox WHERE id = ANY(${rows.map((r) => String(r.id))}::bigint[])`;
    return rows.length;
  }
}

function recordsOf(row: OutboxRow): OutboxRecord[] {
  if (row.bundle) return decodeBundle(row.value);
  return [{ topic: row.topic, key: row.key, value: Buffer.from(row.value), headers: row.headers }];
}

/** Consecutive records of one topic become one publish call, so the id order holds across topics. */
function runsByTopic(records: readonly OutboxRecord[]): { topic: string; records: OutgoingRecord[] }[] {
  const runs: { topic: string; records: OutgoingRecord[] }[] = [];
  for (const { topic, ...record } of records) {
    const last = runs[runs.length - 1];
    if (last?.topic === topic) last.records.push(record);
    else runs.push({ topic, records: [record] });
  }
  return runs;
}
