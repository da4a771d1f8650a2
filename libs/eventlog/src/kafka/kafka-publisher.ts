import type { Message, Producer, TopicMessages } from 'kafkajs';
import type { OutgoingRecord } from '../event-log.port';
import { partitionFor } from '../partitioner';

/**
 * Kafka rejects a record batch (all records of one partition in one request) above the
 * broker's `message.max.bytes`, 1 MiB by default; stay well below it.
 */
const MAX_PARTITION_BYTES_PER_REQUEST = 512 * 1024;
/** Per-record overhead in the v2 record format, roughly; only used to size requests. */
const RECORD_OVERHEAD_BYTES = 32;

interface PendingRecord {
  topic: string;
  partition: number;
  message: Message;
  bytes: number;
  publish: PendingPublish;
}

interface PendingPublish {
  remaining: number;
  failed: boolean;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Turns many concurrent `publish` calls into few produce requests. The idempotent producer
 * allows one request in flight per broker (kafkajs takes a broker lock), so while one is in
 * flight the next calls queue up and leave together as one request: batching that costs no
 * latency when the log is idle (unlike a linger timer).
 *
 * Partitions are spread over a few producers ("lanes"), each with its own connection, so
 * one request can be encoded while another is with the broker. A partition always uses the
 * same lane and a lane sends in queue order, so records of one key keep their order, also
 * when a large call is split over several requests.
 */
export class KafkaPublisher {
  private readonly lanes: Lane[];

  constructor(
    producers: Producer[],
    private readonly partitionsOf: (topic: string) => Promise<number>,
  ) {
    this.lanes = producers.map((producer) => new Lane(producer, (publish) => this.dropQueued(publish)));
  }

  async publish(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return;
    const partitions = await this.partitionsOf(topic);
    await new Promise<void>((resolve, reject) => {
      const publish: PendingPublish = { remaining: records.length, failed: false, resolve, reject };
      for (const record of records) {
        // Same partition kafkajs' DefaultPartitioner (murmur2) would pick; set explicitly so
        // requests can be sized per partition and lanes chosen before kafkajs sees them.
        const partition = partitionFor(record.key, partitions);
        const message: Message = { key: record.key, value: record.value, headers: record.headers, partition };
        this.lanes[partition % this.lanes.length].enqueue({ topic, partition, message, bytes: recordBytes(record), publish });
      }
    });
  }

  /** Resolves once everything published so far was acknowledged or failed. */
  async flush(): Promise<void> {
    await Promise.all(this.lanes.map((lane) => lane.flush()));
  }

  private dropQueued(failed: Set<PendingPublish>): void {
    for (const lane of this.lanes) lane.drop(failed);
  }
}

class Lane {
  private queue: PendingRecord[] = [];
  private sending: Promise<void> | null = null;

  constructor(
    private readonly producer: Producer,
    private readonly onFailed: (failed: Set<PendingPublish>) => void,
  ) {}

  enqueue(record: PendingRecord): void {
    this.queue.push(record);
    this.sending ??= this.drain();
  }

  async flush(): Promise<void> {
    while (this.sending) await this.sending;
  }

  drop(failed: Set<PendingPublish>): void {
    this.queue = this.queue.filter((record) => !failed.has(record.publish));
  }

  private async drain(): Promise<void> {
    // Let the calls made in the same tick join the first request.
    await new Promise<void>((r) => setImmediate(r));
    try {
      while (this.queue.length > 0) {
        const request = this.takeRequest();
        try {
          await this.producer.sendBatch({ topicMessages: toTopicMessages(request), acks: -1 });
          for (const record of request) {
            if (--record.publish.remaining === 0 && !record.publish.failed) record.publish.resolve();
          }
        } catch (err) {
          this.fail(request, err);
        }
      }
    } finally {
      this.sending = null;
    }
  }

  /** The next request: queued records up to the per-partition size limit, order kept per partition. */
  private takeRequest(): PendingRecord[] {
    const taken: PendingRecord[] = [];
    const rest: PendingRecord[] = [];
    const bytesByPartition = new Map<string, number>();
    const full = new Set<string>();
    for (const record of this.queue) {
      const tp = `${record.topic}\u0000${record.partition}`;
      const bytes = (bytesByPartition.get(tp) ?? 0) + record.bytes;
      // Once one record of a partition waits, every later one of that partition waits too.
      if (full.has(tp) || (bytes > MAX_PARTITION_BYTES_PER_REQUEST && bytesByPartition.has(tp))) {
        full.add(tp);
        rest.push(record);
        continue;
      }
      bytesByPartition.set(tp, bytes);
      taken.push(record);
    }
    this.queue = rest;
    return taken;
  }

  /**
   * A failed request fails every publish call with a record in it, and their records still
   * queued (in any lane) are dropped: sending them later would put them ahead of the failed
   * ones when the caller retries.
   */
  private fail(request: PendingRecord[], err: unknown): void {
    const failed = new Set(request.map((record) => record.publish));
    for (const publish of failed) {
      if (publish.failed) continue;
      publish.failed = true;
      publish.reject(err);
    }
    this.onFailed(failed);
  }
}

function recordBytes(record: OutgoingRecord): number {
  let bytes = RECORD_OVERHEAD_BYTES + Buffer.byteLength(record.key) + record.value.length;
  for (const [name, value] of Object.entries(record.headers ?? {})) bytes += Buffer.byteLength(name) + Buffer.byteLength(value) + 2;
  return bytes;
}

function toTopicMessages(records: PendingRecord[]): TopicMessages[] {
  const byTopic = new Map<string, Message[]>();
  for (const record of records) {
    const messages = byTopic.get(record.topic);
    if (messages) messages.push(record.message);
    else byTopic.set(record.topic, [record.message]);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}
