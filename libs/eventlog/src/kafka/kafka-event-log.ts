import { connect, isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Kafka, Partitioners, type Admin, type ISocketFactory, type Producer } from 'kafkajs';
import type { EventLog, LogHealth, OutgoingRecord, SubscribeOptions, Subscription, TopicConfig, TopicPartition } from '../event-log.port';
import { KafkaPublisher } from './kafka-publisher';
import { KafkaSubscription } from './kafka-subscription';
import { KAFKAJS_LOG_LEVEL, jsonStderrLogCreator } from './kafka-logger';

export interface KafkaEventLogOptions {
  brokers: string[];
  clientId: string;
  /**
   * A member that stops heartbeating loses its partitions after this long. Shorter than
   * kafkajs' 30 s so a crashed service's partitions move on quickly; members heartbeat
   * while their handlers run, so slow handlers do not trip it.
   */
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** Idempotent producers that send in parallel, each owning a share of the partitions. */
  producerLanes?: number;
}

export class UnknownTopicError extends Error {
  override readonly name = 'UnknownTopicError';
  readonly code = 'eventlog_unknown_topic';
  constructor(readonly topic: string) {
    super(`topic ${topic} does not exist; provision it with ensureTopics first`);
  }
}

const HEALTH_TIMEOUT_MS = 5_000;
/** kafkajs' default metadata refresh interval. */
const METADATA_MAX_AGE_MS = 300_000;

/** The event log on Apache Kafka (kafkajs). Semantics: see `event-log.port.ts`. */
export class KafkaEventLog implements EventLog {
  readonly kind = 'kafka' as const;
  private readonly subscriptions = new Set<KafkaSubscription>();
  /** Partition counts, as promises so concurrent first publishes to a topic keep their order. */
  private readonly partitionCounts = new Map<string, Promise<number>>();
  private readonly publisher: KafkaPublisher;
  private closed: Promise<void> | null = null;

  private constructor(
    private readonly kafka: Kafka,
    private readonly producers: Producer[],
    private readonly admin: Admin,
    private readonly options: Required<Pick<KafkaEventLogOptions, 'sessionTimeoutMs' | 'heartbeatIntervalMs'>>,
  ) {
    this.publisher = new KafkaPublisher(producers, (topic) => this.partitionCount(topic));
  }

  static async connect(options: KafkaEventLogOptions): Promise<KafkaEventLog> {
    const kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      logLevel: KAFKAJS_LOG_LEVEL,
      logCreator: jsonStderrLogCreator,
      socketFactory: noDelaySocketFactory,
    });
    const producers = Array.from({ length: options.producerLanes ?? 2 }, () =>
      kafka.producer({
        // Exactly-once per partition on the producer's retries; kafkajs then keeps one request
        // in flight per broker, which KafkaPublisher makes up for by batching and lanes.
        idempotent: true,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      }),
    );
    const admin = kafka.admin();
    const clients = [...producers, admin];
    try {
      await Promise.all(clients.map((client) => client.connect()));
    } catch (err) {
      // The others would keep retrying in the background.
      await Promise.allSettled(clients.map((client) => client.disconnect()));
      throw err;
    }
    return new KafkaEventLog(kafka, producers, admin, {
      sessionTimeoutMs: options.sessionTimeoutMs ?? 10_000,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 1_000,
    });
  }

  async ensureTopics(topics: readonly TopicConfig[]): Promise<void> {
    const existing = new Set(await this.admin.listTopics());
    const missing = topics.filter((topic) => !existing.has(topic.name));
    if (missing.length === 0) return;
    try {
      await this.admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic: topic.name,
          numPartitions: topic.partitions,
          // -1: the broker's default.replication.factor, which is the cluster's to decide.
          replicationFactor: -1,
          configEntries: [{ name: 'retention.ms', value: String(topic.retentionMs ?? -1) }],
        })),
      });
    } catch (err) {
      // Another process created some of them first; anything else is a real failure.
      if (!isTopicAlreadyExists(err)) throw err;
    }
    for (const topic of missing) this.partitionCounts.delete(topic.name);
  }

  async publish(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    this.assertOpen();
    return this.publisher.publish(topic, records);
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    this.assertOpen();
    const consumer = this.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: this.options.sessionTimeoutMs,
      heartbeatInterval: this.options.heartbeatIntervalMs,
      allowAutoTopicCreation: false,
      // Fetches return as soon as there is one byte (latency); when idle the long poll is
      // short so heartbeats and stop() are not held up.
      minBytes: 1,
      maxWaitTimeInMs: 250,
      maxBytesPerPartition: 2 * 1024 * 1024,
      maxBytes: 16 * 1024 * 1024,
    });
    const subscription = await KafkaSubscription.start({
      consumer,
      options,
      // Straight to the publisher: dead letters of the last batches must go out while close() runs.
      publishDeadLetter: (topic, records) => this.publisher.publish(topic, records),
      heartbeatIntervalMs: this.options.heartbeatIntervalMs,
      onStopped: (stopped) => this.subscriptions.delete(stopped),
    });
    this.subscriptions.add(subscription);
    return subscription;
  }

  async committedOffset(groupId: string, tp: TopicPartition): Promise<number | null> {
    const [topic] = await this.admin.fetchOffsets({ groupId, topics: [tp.topic] });
    const offset = topic?.partitions.find((p) => p.partition === tp.partition)?.offset;
    return offset === undefined || Number(offset) < 0 ? null : Number(offset);
  }

  async endOffset(tp: TopicPartition): Promise<number> {
    const offsets = await this.admin.fetchTopicOffsets(tp.topic);
    const partition = offsets.find((p) => p.partition === tp.partition);
    if (!partition) throw new Error(`topic ${tp.topic} has no partition ${tp.partition}`);
    return Number(partition.high);
  }

  async health(): Promise<LogHealth> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const cluster = await Promise.race([
        this.admin.describeCluster(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${HEALTH_TIMEOUT_MS} ms`)), HEALTH_TIMEOUT_MS);
        }),
      ]);
      const ok = cluster.brokers.length > 0 && cluster.controller !== null;
      return { ok, detail: `kafka cluster ${cluster.clusterId}: ${cluster.brokers.length} broker(s), controller ${cluster.controller ?? 'none'}` };
    } catch (err) {
      return { ok: false, detail: `kafka unreachable: ${err instanceof Error ? err.message : String(err)}` };
    } finally {
      clearTimeout(timer);
    }
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      // Members first: their last batches may still commit or dead-letter through the producer.
      await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
      await this.publisher.flush();
      await Promise.all([...this.producers.map((producer) => producer.disconnect()), this.admin.disconnect()]);
    })();
    return this.closed;
  }

  private partitionCount(topic: string): Promise<number> {
    let count = this.partitionCounts.get(topic);
    if (!count) {
      count = this.fetchPartitionCount(topic);
      this.partitionCounts.set(topic, count);
      // A failed lookup (unknown topic, broker down) is not remembered, a good one for as
      // long as kafkajs trusts its metadata, so added partitions are picked up.
      const lookup = count;
      const forget = () => {
        if (this.partitionCounts.get(topic) === lookup) this.partitionCounts.delete(topic);
      };
      lookup.catch(forget);
      setTimeout(forget, METADATA_MAX_AGE_MS).unref();
    }
    return count;
  }

  private async fetchPartitionCount(topic: string): Promise<number> {
    // Checked up front: the idempotent producer retries a missing topic forever.
    if (!(await this.admin.listTopics()).includes(topic)) throw new UnknownTopicError(topic);
    const { topics } = await this.admin.fetchTopicMetadata({ topics: [topic] });
    return topics[0].partitions.length;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the Kafka event log is closed');
  }
}

/**
 * kafkajs' default sockets keep Nagle's algorithm on, which holds small requests (a fetch,
 * a commit) back until the previous segment is acknowledged: tens of milliseconds of
 * publish→consume latency. Kafka's Java client turns it off too.
 */
const noDelaySocketFactory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
  const socket = ssl
    ? tlsConnect({ host, port, ...(isIP(host) ? {} : { servername: host }), ...ssl }, onConnect)
    : connect({ host, port }, onConnect);
  socket.setNoDelay(true);
  socket.setKeepAlive(true, 60_000);
  return socket;
};

function isTopicAlreadyExists(err: unknown): boolean {
  const e = err as { type?: string; errors?: Array<{ type?: string }> };
  if (e.type === 'TOPIC_ALREADY_EXISTS') return true;
  return Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every((inner) => inner.type === 'TOPIC_ALREADY_EXISTS');
}
