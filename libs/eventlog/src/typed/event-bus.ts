import {
  EventHeaders,
  Topics,
  UndecodableEventError,
  decodeEvent,
  definitionOf,
  encodeEvent,
  handledBy,
  topicsOf,
  type ConsumerDeclaration,
  type EventOf,
  type EventType,
  type SluiceEvent,
  type TopicEventMap,
  type TopicName,
} from '@sluice/events';
import { withConsumerSpans } from '@sluice/telemetry';
import { reportDeadLettered, toDeadLetter } from '../delivery';
import type { EventLog, LogRecord, RecordBatch, RetryPolicy, Subscription } from '../event-log.port';

export interface EventBatchContext {
  topic: string;
  partition: number;
  /** Offset of the last record in the batch. */
  lastOffset: number;
}

export interface EventSubscribeOptions<T extends EventType = EventType> {
  /** What the consumer handles: it reads the topics of those events and receives only those. */
  consumer: ConsumerDeclaration<T>;
  /** Its group on the log when that is not the consumer's name (one group per instance, a replay's fresh group). */
  groupId?: string;
  fromBeginning?: boolean;
  maxBatchSize?: number;
  /** A topic's own batch size (records read, handled or not), in place of `maxBatchSize`. */
  maxBatchSizeByTopic?: Readonly<Partial<Record<TopicName, number>>>;
  retry?: Partial<RetryPolicy>;
  /** Parsed, validated, upcast events of one partition in log order, of the handled types only (never an empty list). */
  handle: (events: EventOf<T>[], ctx: EventBatchContext) => Promise<void>;
  /** After each batch read, handled or not (a replay that counts offsets to know it caught up). */
  progress?: (ctx: EventBatchContext) => void;
}

/**
 * The typed face of the log: services publish catalogue events and receive parsed ones.
 * Records that cannot be decoded never reach a handler: they go straight to the dead-letter
 * topic (retrying cannot make them readable).
 */
export class EventBus {
  constructor(readonly log: EventLog) {}

  /** Publishes on `topic`; an event that does not belong there does not compile. */
  async publish<T extends TopicName>(topic: T, events: readonly TopicEventMap[T][]): Promise<void> {
    if (events.length === 0) return;
    await this.log.publish(topic, events.map((e) => encodeEvent(e as SluiceEvent)));
  }

  /** Publishes each event on its catalogue topic, keeping the given order within a topic. */
  async emit(events: readonly SluiceEvent[]): Promise<void> {
    const byTopic = new Map<TopicName, SluiceEvent[]>();
    for (const event of events) {
      const topic = topicOf(event);
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), event]);
    }
    await Promise.all([...byTopic].map(([topic, list]) => this.log.publish(topic, list.map(encodeEvent))));
  }

  /** Subscribes a declared consumer to the topics of the events it handles; it is given those events only. */
  subscribe<T extends EventType>(options: EventSubscribeOptions<T>): Promise<Subscription> {
    const groupId = options.groupId ?? options.consumer.name;
    const handled = handledBy(options.consumer);
    const handledTypes = new Set<string>(options.consumer.handles);
    // A record of a catalogue type this consumer does not handle is skipped unread: most records
    // of a shared topic are another consumer's, and parsing and validating each costs more than
    // the work done on the rest. Records of unknown or missing type are decoded (and dead-lettered).
    const notMine = (record: LogRecord) => {
      const type = record.headers[EventHeaders.type];
      return type !== undefined && !handledTypes.has(type) && definitionOf(type) !== undefined;
    };
    return this.log.subscribe({
      groupId,
      topics: topicsOf(options.consumer.handles),
      fromBeginning: options.fromBeginning,
      maxBatchSize: options.maxBatchSize,
      maxBatchSizeByTopic: options.maxBatchSizeByTopic as Readonly<Record<string, number>> | undefined,
      retry: options.retry,
      deadLetterTopic: Topics.deadLetter,
      handleBatch: async (batch) => {
        await this.handleBatch(batch, groupId, handled, notMine, options);
        const last = batch.records[batch.records.length - 1];
        if (last) options.progress?.({ topic: batch.topic, partition: batch.partition, lastOffset: last.offset });
      },
    });
  }

  private async handleBatch<T extends EventType>(
    batch: RecordBatch,
    groupId: string,
    handled: (event: SluiceEvent) => event is EventOf<T>,
    notMine: (record: LogRecord) => boolean,
    options: EventSubscribeOptions<T>,
  ): Promise<void> {
    const decoded: SluiceEvent[] = [];
    const unreadable: LogRecord[] = [];
    const reasons: string[] = [];
    for (const record of batch.records) {
      if (notMine(record)) continue;
      try {
        decoded.push(decodeEvent(record));
      } catch (err) {
        if (!(err instanceof UndecodableEventError)) throw err;
        unreadable.push(record);
        reasons.push(err.message);
      }
    }
    if (unreadable.length > 0) {
      await this.log.publish(
        Topics.deadLetter,
        unreadable.map((r, i) => toDeadLetter(r, groupId, reasons[i])),
      );
      unreadable.forEach((r, i) => reportDeadLettered(r, groupId, reasons[i]));
    }
    // Events of other types on the same topics are not this consumer's: they never reach it.
    const events = decoded.filter(handled);
    if (events.length === 0) return;
    const lastOffset = batch.records[batch.records.length - 1].offset;
    // One span per event in its object's trace (a no-op unless telemetry is on).
    await withConsumerSpans(groupId, events, () => options.handle(events, { topic: batch.topic, partition: batch.partition, lastOffset }));
  }
}

export function topicOf(event: SluiceEvent): TopicName {
  const def = definitionOf(event.type);
  if (!def) throw new Error(`event type ${event.type} is not in the catalogue`);
  return def.topic;
}
