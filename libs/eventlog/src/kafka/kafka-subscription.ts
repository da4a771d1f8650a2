import type { Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import { DeliveryAbortedError, deliverBatch } from '../delivery';
import { DEFAULT_MAX_BATCH_SIZE, type LogRecord, type OutgoingRecord, type SubscribeOptions, type Subscription, type TopicPartition } from '../event-log.port';

/**
 * Partitions whose batches are handled at the same time (one batch per partition at a time,
 * as in the embedded log): a slow partition does not hold the others back, and commits of
 * different partitions overlap.
 */
const PARTITIONS_CONSUMED_CONCURRENTLY = 4;

export interface KafkaSubscriptionDeps {
  consumer: Consumer;
  options: SubscribeOptions;
  publishDeadLetter: (topic: string, records: OutgoingRecord[]) => Promise<void>;
  /** How often a member busy in a handler tells the coordinator it is alive. */
  heartbeatIntervalMs: number;
  onStopped: (subscription: KafkaSubscription) => void;
}

/**
 * One consumer group member. Each kafkajs batch is cut into chunks of `maxBatchSize`; a
 * chunk goes through `deliverBatch` (retries, dead letters) and its offset is committed
 * right after, through the group member, so a commit from a member that lost the
 * partition in a rebalance is refused by the coordinator rather than applied.
 */
export class KafkaSubscription implements Subscription {
  private assigned: TopicPartition[] = [];
  private stopping = false;
  private stopped: Promise<void> | null = null;

  private constructor(private readonly deps: KafkaSubscriptionDeps) {}

  static async start(deps: KafkaSubscriptionDeps): Promise<KafkaSubscription> {
    const subscription = new KafkaSubscription(deps);
    try {
      await subscription.run();
    } catch (err) {
      // Leave nothing retrying in the background for a subscription the caller never got.
      await deps.consumer.disconnect().catch(() => undefined);
      throw err;
    }
    return subscription;
  }

  get groupId(): string {
    return this.deps.options.groupId;
  }

  assignments(): TopicPartition[] {
    return [...this.assigned];
  }

  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping = true;
      // kafkajs waits for the batch in flight (which commits what it handled), then leaves the group.
      await this.deps.consumer.disconnect();
      this.assigned = [];
      this.deps.onStopped(this);
    })();
    return this.stopped;
  }

  private async run(): Promise<void> {
    const { consumer, options } = this.deps;
    const { GROUP_JOIN, REBALANCING, CRASH, STOP } = consumer.events;
    consumer.on(GROUP_JOIN, ({ payload }) => {
      this.assigned = Object.entries(payload.memberAssignment).flatMap(([topic, partitions]) =>
        partitions.map((partition) => ({ topic, partition })),
      );
    });
    // The group protocol is eager: a rebalancing member gives up all its partitions until it rejoins.
    const release = () => (this.assigned = []);
    consumer.on(REBALANCING, release);
    consumer.on(CRASH, release);
    consumer.on(STOP, release);

    await consumer.connect();
    await consumer.subscribe({ topics: options.topics, fromBeginning: options.fromBeginning ?? true });
    // Resolves once this member has joined the group and knows its partitions.
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: PARTITIONS_CONSUMED_CONCURRENTLY,
      eachBatch: (payload) => this.handleKafkaBatch(payload),
    });
  }

  private async handleKafkaBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const { options } = this.deps;
    const maxBatchSize = Math.max(1, options.maxBatchSizeByTopic?.[batch.topic] ?? options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE);
    const records = batch.messages.map((message) => toLogRecord(batch.topic, batch.partition, message));
    const rebalance = { noticed: false };
    for (let from = 0; from < records.length; from += maxBatchSize) {
      if (this.isStopping(payload) || rebalance.noticed || payload.isStale()) return;
      const chunk = records.slice(from, from + maxBatchSize);
      const handled = await this.deliverWithHeartbeats(payload, chunk, rebalance);
      if (!handled) return;
      const last = chunk[chunk.length - 1].offset;
      await payload.commitOffsetsIfNecessary({
        topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: String(last + 1) }] }],
      });
      payload.resolveOffset(String(last));
    }
  }

  /** False when the consumer began stopping mid-delivery: the chunk stays uncommitted. */
  private async deliverWithHeartbeats(payload: EachBatchPayload, records: LogRecord[], rebalance: { noticed: boolean }): Promise<boolean> {
    const { options, publishDeadLetter, heartbeatIntervalMs } = this.deps;
    // Keep the session alive while a slow handler or a retry backoff runs; a heartbeat that
    // learns of a rebalance lets this chunk finish and commit, then the member rejoins.
    const timer = setInterval(() => {
      payload.heartbeat().catch(() => (rebalance.noticed = true));
    }, heartbeatIntervalMs);
    try {
      await deliverBatch(
        { topic: payload.batch.topic, partition: payload.batch.partition, records },
        {
          handleBatch: options.handleBatch,
          publishDeadLetter: (letters) => publishDeadLetter(options.deadLetterTopic, letters),
          groupId: options.groupId,
          retry: options.retry,
          isStopping: () => this.isStopping(payload),
          onError: (err, attempt, batch) => logHandlerError(err, attempt, options.groupId, batch.topic, batch.partition, batch.records),
        },
      );
      return true;
    } catch (err) {
      if (err instanceof DeliveryAbortedError) return false;
      throw err;
    } finally {
      clearInterval(timer);
    }
  }

  private isStopping(payload: EachBatchPayload): boolean {
    return this.stopping || !payload.isRunning();
  }
}

export function toLogRecord(topic: string, partition: number, message: KafkaMessage): LogRecord {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    // kafkajs gives an array for a repeated header; the port has one value per name.
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) headers[name] = first.toString('utf8');
  }
  return {
    topic,
    partition,
    offset: Number(message.offset),
    key: message.key?.toString('utf8') ?? '',
    value: message.value ?? Buffer.alloc(0),
    headers,
    timestamp: Number(message.timestamp),
  };
}

function logHandlerError(err: unknown, attempt: number, groupId: string, topic: string, partition: number, records: LogRecord[]): void {
  const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  process.stderr.write(
    `${JSON.stringify({
      level: 'warn',
      time: new Date().toISOString(),
      logger: 'eventlog',
      msg: 'handler failed, will retry or dead-letter',
      groupId,
      topic,
      partition,
      firstOffset: records[0]?.offset,
      records: records.length,
      attempt,
      error,
      traceparent: records.length === 1 ? records[0].headers.traceparent : undefined,
    })}\n`,
  );
}
