import {
  Topics,
  UndecodableEventError,
  decodeEvent,
  definitionOf,
  encodeEvent,
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

export interface EventSubscribeOptions {
  groupId: string;
  topics: TopicName[];
  fromBeginning?: boolean;
  maxBatchSize?: number;
  retry?: Partial<RetryPolicy>;
  /** Parsed, validated, upcast events of one partition in log order. */
  handle: (events: SluiceEvent[], ctx: EventBatchContext) => Promise<void>;
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

  subscribe(options: EventSubscribeOptions): Promise<Subscription> {
    return this.log.subscribe({
      groupId: options.groupId,
      topics: options.topics,
      fromBeginning: options.fromBeginning,
      maxBatchSize: options.maxBatchSize,
      retry: options.retry,
      deadLetterTopic: Topics.deadLetter,
      handleBatch: (batch) => this.handleBatch(batch, options),
    });
  }

  private async handleBatch(batch: RecordBatch, options: EventSubscribeOptions): Promise<void> {
    const events: SluiceEvent[] = [];
    const unreadable: LogRecord[] = [];
    const reasons: string[] = [];
    for (const record of batch.records) {
      try {
        events.push(decodeEvent(record));
      } catch (err) {
        if (!(err instanceof UndecodableEventError)) throw err;
        unreadable.push(record);
        reasons.push(err.message);
      }
    }
    if (unreadable.length > 0) {
      await this.log.publish(
        Topics.deadLetter,
        unreadable.map((r, i) => toDeadLetter(r, options.groupId, reasons[i])),
      );
      unreadable.forEach((r, i) => reportDeadLettered(r, options.groupId, reasons[i]));
    }
    if (events.length === 0) return;
    const lastOffset = batch.records[batch.records.length - 1].offset;
    // One span per event in its object's trace (a no-op unless telemetry is on).
    await withConsumerSpans(options.groupId, events, () => options.handle(events, { topic: batch.topic, partition: batch.partition, lastOffset }));
  }
}

export function topicOf(event: SluiceEvent): TopicName {
  const def = definitionOf(event.type);
  if (!def) throw new Error(`event type ${event.type} is not in the catalogue`);
  return def.topic;
}
