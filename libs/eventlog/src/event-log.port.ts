/**
 * The event log port. Two adapters implement it with the same semantics, proven by one
 * contract suite (`event-log.contract.ts`): Kafka (`kafkajs`) and the embedded on-disk log.
 *
 * - A topic has N partitions; a record goes to `partitionFor(key, N)` (Kafka's murmur2), so
 *   records with one key keep their order.
 * - `publish` resolves once the records are durable (Kafka: acked by all in-sync replicas;
 *   embedded: fsynced).
 * - Members of one consumer group split the partitions; each partition is read by one member.
 * - Delivery is at-least-once: a batch's offset is committed only after its handler
 *   resolved. A crash before the commit redelivers the batch.
 * - A handler that keeps failing is retried with backoff; after `maxAttempts` the record that
 *   fails alone goes to the dead-letter topic and the partition moves on.
 */
export interface OutgoingRecord {
  key: string;
  value: Buffer;
  headers?: Record<string, string>;
}

export interface LogRecord {
  topic: string;
  partition: number;
  offset: number;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
  /** Milliseconds since the epoch when the log appended the record. */
  timestamp: number;
}

/** Records of one topic-partition, in offset order. */
export interface RecordBatch {
  topic: string;
  partition: number;
  records: LogRecord[];
}

export interface TopicConfig {
  name: string;
  partitions: number;
  /** `null` = keep forever. */
  retentionMs: number | null;
}

export interface RetryPolicy {
  /** Attempts per batch (and then per record) before a record is dead-lettered. */
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
}

/** Records handed to a consumer at most at once, unless it asks otherwise (either engine). */
export const DEFAULT_MAX_BATCH_SIZE = 500;

export interface SubscribeOptions {
  groupId: string;
  topics: string[];
  /** Where a group with no committed offset starts: the beginning (default) or the end. */
  fromBeginning?: boolean;
  maxBatchSize?: number;
  /** A topic's own batch size, in place of `maxBatchSize`, for the topics named. */
  maxBatchSizeByTopic?: Readonly<Record<string, number>>;
  retry?: Partial<RetryPolicy>;
  /** Where poison records go; records there carry `dlq-*` headers naming source and error. */
  deadLetterTopic: string;
  handleBatch: (batch: RecordBatch) => Promise<void>;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface Subscription {
  readonly groupId: string;
  /** Partitions this member reads right now (changes when members join or leave). */
  assignments(): TopicPartition[];
  /** Stops fetching; waits for the batch in flight, commits it, leaves the group. */
  stop(): Promise<void>;
}

export interface LogHealth {
  ok: boolean;
  detail: string;
}

export interface EventLog {
  readonly kind: 'kafka' | 'embedded';
  /** Creates missing topics; existing ones are left as they are. */
  ensureTopics(topics: readonly TopicConfig[]): Promise<void>;
  publish(topic: string, records: readonly OutgoingRecord[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** Committed offset (next offset to read) of a group on a partition, or null if none. */
  committedOffset(groupId: string, tp: TopicPartition): Promise<number | null>;
  /** End offset (offset the next record will get) of a partition. */
  endOffset(tp: TopicPartition): Promise<number>;
  health(): Promise<LogHealth>;
  close(): Promise<void>;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, initialBackoffMs: 50, maxBackoffMs: 2_000 };

export const DeadLetterHeaders = {
  sourceTopic: 'dlq-source-topic',
  sourcePartition: 'dlq-source-partition',
  sourceOffset: 'dlq-source-offset',
  groupId: 'dlq-group-id',
  error: 'dlq-error',
} as const;
