import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  DEFAULT_MAX_BATCH_SIZE,
  type EventLog,
  type LogHealth,
  type OutgoingRecord,
  type SubscribeOptions,
  type Subscription,
  type TopicConfig,
  type TopicPartition,
} from '../event-log.port';
import { partitionFor } from '../partitioner';
import { ConsumerGroup, type GroupMember } from './consumer-group';
import { DirLock } from './dir-lock';
import { EventLogClosedError, UnknownTopicError } from './errors';
import { OffsetsStore } from './offsets-store';
import { PartitionWorker } from './partition-worker';
import { TopicStore, type Topic } from './topic-store';
import { logger } from '@sluice/telemetry';

const log = logger('eventlog');

export interface EmbeddedEventLogOptions {
  dir: string;
  /** Failures outside a handler (a commit or dead-letter publish that failed). Default: stderr. */
  onError?: (err: unknown, context: string) => void;
  /** Each failed handler attempt before a retry or the dead-letter topic. Default: ignored. */
  onHandlerError?: (err: unknown, context: string) => void;
  /** What opening the log repaired (offsets past a partition's lost tail). Default: stderr. */
  onRepair?: (message: string) => void;
}


/**
 * The event log on local disk, for running every service in one process without Kafka:
 * the same topics, partitions, keyed placement, consumer-group offsets and delivery rules,
 * durable across crashes. Layout of `dir`: `LOCK`, `offsets.log`, `topics/<name>/…`.
 */
export class EmbeddedEventLog implements EventLog {
  readonly kind = 'embedded' as const;
  private readonly groups = new Map<string, ConsumerGroup>();
  private readonly subscriptions = new Set<Subscription>();
  private nextMemberId = 1;
  private closing: Promise<void> | null = null;

  private constructor(
    readonly dir: string,
    private readonly lock: DirLock,
    private readonly topics: TopicStore,
    private readonly offsets: OffsetsStore,
    private readonly options: EmbeddedEventLogOptions,
  ) {}

  static async open(options: EmbeddedEventLogOptions): Promise<EmbeddedEventLog> {
    const dir = resolve(options.dir);
    mkdirSync(dir, { recursive: true });
    const lock = DirLock.acquire(dir);
    let topics: TopicStore | null = null;
    try {
      topics = TopicStore.open(dir);
      const offsets = OffsetsStore.open(dir);
      const opened = topics;
      const rewound = offsets.rewindBeyond((topic, partition) => opened.get(topic)?.partitions[partition]?.endOffset);
      const report = options.onRepair ?? ((message) => log.warn({}, message));
      for (const r of rewound) {
        report(
          `${r.topic}/${r.partition} ends at offset ${r.end} but group ${r.groupId} had committed ${r.committed}: ` +
            `the partition lost ${r.committed - r.end} record(s) at its tail while the log was stopped (${join(dir, 'topics', r.topic, `${r.partition}.log`)}); ` +
            `moved the group's offset back to ${r.end}, so it reads the records written from now on`,
        );
      }
      return new EmbeddedEventLog(dir, lock, topics, offsets, options);
    } catch (err) {
      await topics?.close();
      lock.release();
      throw err;
    }
  }

  async ensureTopics(topics: readonly TopicConfig[]): Promise<void> {
    this.assertOpen();
    this.topics.ensure(topics);
  }

  async publish(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    this.assertOpen();
    const target = this.topicOrThrow(topic);
    if (records.length === 0) return;
    const byPartition = new Map<number, OutgoingRecord[]>();
    for (const record of records) {
      const partition = partitionFor(record.key, target.partitions.length);
      const list = byPartition.get(partition);
      if (list) list.push(record);
      else byPartition.set(partition, [record]);
    }
    const timestamp = Date.now();
    await Promise.all([...byPartition].map(([partition, list]) => target.partitions[partition].append(list, timestamp)));
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    this.assertOpen();
    if (options.topics.length === 0) throw new Error(`group ${options.groupId} subscribed to no topic`);
    for (const topic of options.topics) this.topicOrThrow(topic);
    this.topics.ensure([{ name: options.deadLetterTopic, partitions: 1, retentionMs: null }]);
    const member: GroupMember = {
      id: this.nextMemberId++,
      topics: [...new Set(options.topics)],
      settings: {
        fromBeginning: options.fromBeginning ?? true,
        maxBatchSize: Math.max(1, options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE),
        maxBatchSizeByTopic: options.maxBatchSizeByTopic,
        retry: options.retry,
        deadLetterTopic: options.deadLetterTopic,
        handleBatch: options.handleBatch,
      },
      assigned: [],
    };
    const group = this.groupFor(options.groupId);
    await group.join(member);
    let stopped: Promise<void> | null = null;
    const subscription: Subscription = {
      groupId: options.groupId,
      assignments: () => member.assigned.map((tp) => ({ ...tp })),
      stop: () => {
        // The group object stays even when empty: a member joining while the last one leaves
        // must queue behind that leave on the same group, never start a second one.
        stopped ??= group.leave(member).finally(() => this.subscriptions.delete(subscription));
        return stopped;
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  async committedOffset(groupId: string, tp: TopicPartition): Promise<number | null> {
    this.assertOpen();
    return this.offsets.get(groupId, tp);
  }

  async endOffset(tp: TopicPartition): Promise<number> {
    this.assertOpen();
    const partition = this.topicOrThrow(tp.topic).partitions[tp.partition];
    if (!partition) throw new Error(`topic ${tp.topic} has no partition ${tp.partition}`);
    return partition.endOffset;
  }

  async health(): Promise<LogHealth> {
    if (this.closing) return { ok: false, detail: `embedded log ${this.dir} is closed` };
    const failed = this.topics.all().flatMap((topic) => topic.partitions.filter((p) => !p.healthy).map((p) => `${p.topic}/${p.partition}`));
    if (!this.offsets.healthy) failed.push('offsets');
    if (failed.length > 0) return { ok: false, detail: `write failed on ${failed.join(', ')}; reopen the log` };
    return { ok: true, detail: `embedded log ${this.dir}, ${this.topics.all().length} topics` };
  }

  /** Stops every subscription (its batch in flight is finished and committed), then closes files. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
      await this.topics.close();
      await this.offsets.close();
      this.lock.release();
    })();
    return this.closing;
  }

  private groupFor(groupId: string): ConsumerGroup {
    let group = this.groups.get(groupId);
    if (!group) {
      group = new ConsumerGroup({
        partitionCount: (topic) => this.topicOrThrow(topic).partitions.length,
        createWorker: (tp) => this.createWorker(groupId, tp),
      });
      this.groups.set(groupId, group);
    }
    return group;
  }

  private createWorker(groupId: string, tp: TopicPartition): PartitionWorker {
    return new PartitionWorker({
      groupId,
      partition: this.topicOrThrow(tp.topic).partitions[tp.partition],
      offsets: this.offsets,
      publishDeadLetter: (topic, records) => this.publish(topic, records),
      onError: this.options.onError ?? ((err, context) => log.error({ err }, context)),
      onHandlerError: this.options.onHandlerError ?? (() => undefined),
    });
  }

  private topicOrThrow(name: string): Topic {
    const topic = this.topics.get(name);
    if (!topic) throw new UnknownTopicError(name);
    return topic;
  }

  private assertOpen(): void {
    if (this.closing) throw new EventLogClosedError();
  }
}
