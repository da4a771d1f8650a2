import { setImmediate as nextTurn } from 'node:timers/promises';
import { DeliveryAbortedError, deliverBatch } from '../delivery';
import type { OutgoingRecord, RetryPolicy, RecordBatch, TopicPartition } from '../event-log.port';
import type { OffsetsStore } from './offsets-store';
import type { PartitionFile } from './partition-file';

/** What the member that owns a partition asked for when it subscribed. */
export interface ConsumerSettings {
  fromBeginning: boolean;
  maxBatchSize: number;
  maxBatchSizeByTopic?: Readonly<Record<string, number>>;
  retry?: Partial<RetryPolicy>;
  deadLetterTopic: string;
  handleBatch: (batch: RecordBatch) => Promise<void>;
}

export interface PartitionWorkerDeps {
  groupId: string;
  partition: PartitionFile;
  offsets: OffsetsStore;
  publishDeadLetter: (topic: string, records: OutgoingRecord[]) => Promise<void>;
  /** A handler attempt failed (it is retried, then dead-lettered). */
  onHandlerError: (err: unknown, context: string) => void;
  /** Something other than the handler failed (a dead-letter publish, a commit). */
  onError: (err: unknown, context: string) => void;
}

/** Pause before retrying a batch whose delivery failed for a reason other than the handler. */
const REDELIVERY_PAUSE_MS = 1_000;

/**
 * How long this process's workers may deliver batches back to back before the event loop turns.
 * Reading a partition is synchronous and an embedded database answers without I/O, so a worker
 * with a backlog would otherwise never return to the loop: no timer, socket, offset fsync or
 * thread message is served until the backlog is gone.
 */
const DELIVERY_SLICE_MS = 20;
/** When the current slice began; null once the loop has turned since (the slice's immediate ran). */
let sliceStartedAt: number | null = null;

/** Lets the event loop turn once the workers have held it for a slice (shared by every worker). */
async function turnIfSliceSpent(): Promise<void> {
  if (sliceStartedAt === null) {
    sliceStartedAt = performance.now();
    setImmediate(() => (sliceStartedAt = null));
    return;
  }
  if (performance.now() - sliceStartedAt >= DELIVERY_SLICE_MS) await nextTurn();
}

/**
 * Feeds one partition to one group member at a time: read a batch from the committed offset,
 * hand it to `deliverBatch`, commit, repeat; sleep on the partition's append signal when there
 * is nothing to read. `stop` lets the batch in flight finish (and commits it) before resolving,
 * which is what lets a rebalance hand the partition to another member without overlap.
 */
export class PartitionWorker {
  private stopping = false;
  private running: Promise<void> | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly deps: PartitionWorkerDeps) {}

  get tp(): TopicPartition {
    return { topic: this.deps.partition.topic, partition: this.deps.partition.partition };
  }

  start(settings: ConsumerSettings): void {
    if (this.running !== null) throw new Error(`worker for ${this.describe()} is already running`);
    this.stopping = false;
    // Decided now, not in the loop, so records published after `subscribe` resolves are seen
    // even by a group that starts at the end.
    const committed = this.deps.offsets.get(this.deps.groupId, this.tp);
    const start = committed ?? (settings.fromBeginning ? 0 : this.deps.partition.endOffset);
    this.running = this.run(settings, start, committed === null).catch((err) => this.deps.onError(err, this.describe()));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.running;
    this.running = null;
  }

  private async run(settings: ConsumerSettings, start: number, pinStart: boolean): Promise<void> {
    const { partition, offsets, groupId } = this.deps;
    // A new group pins where it started, so a restart before its first batch does not skip ahead.
    if (pinStart) await offsets.commit(groupId, this.tp, start);
    // The next batch is read without waiting for the previous commit's fsync (a crash before it
    // is durable redelivers that batch, which consumers dedupe; commits land in order). The
    // loop ends only once the last one is durable, so a partition handed over starts where
    // this worker left it; a failed commit ends the loop (run rejects with it).
    let committing: Promise<void> = Promise.resolve();
    let commitFailure: { err: unknown } | null = null;
    let position = start;
    const batchSize = Math.max(1, settings.maxBatchSizeByTopic?.[partition.topic] ?? settings.maxBatchSize);
    while (!this.stopping && partition.isOpen && commitFailure === null) {
      await turnIfSliceSpent();
      if (this.stopping || !partition.isOpen) break;
      const records = partition.read(position, batchSize);
      if (records.length === 0) {
        await this.waitForRecordsAfter(position);
        continue;
      }
      try {
        await deliverBatch(
          { topic: partition.topic, partition: partition.partition, records },
          {
            groupId,
            handleBatch: settings.handleBatch,
            publishDeadLetter: (dead) => this.deps.publishDeadLetter(settings.deadLetterTopic, dead),
            retry: settings.retry,
            isStopping: () => this.stopping,
            onError: (err, attempt) => this.deps.onHandlerError(err, `${this.describe()} attempt ${attempt}`),
          },
        );
      } catch (err) {
        if (err instanceof DeliveryAbortedError) break;
        this.deps.onError(err, `${this.describe()} delivery`);
        await this.sleep(REDELIVERY_PAUSE_MS);
        continue;
      }
      position = records[records.length - 1].offset + 1;
      committing = offsets.commit(groupId, this.tp, position).catch((err: unknown) => {
        commitFailure = { err };
        this.wake?.();
      });
    }
    await committing;
    if (commitFailure !== null) throw (commitFailure as { err: unknown }).err;
  }

  private waitForRecordsAfter(position: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        stopListening();
        this.wake = null;
        resolve();
      };
      const stopListening = this.deps.partition.onAppend(done);
      this.wake = done;
      if (this.stopping || this.deps.partition.endOffset > position) done();
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => done(), ms);
      const done = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      this.wake = done;
      if (this.stopping) done();
    });
  }

  private describe(): string {
    return `group ${this.deps.groupId} on ${this.deps.partition.topic}/${this.deps.partition.partition}`;
  }
}
