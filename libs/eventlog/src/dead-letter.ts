import { decodeEvent, recordFacts, type SluiceEvent } from '@sluice/events';
import { objectTraceparent, traceFields } from '@sluice/telemetry';
import { DeadLetterHeaders, type LogRecord } from './event-log.port';

/** A record of the dead-letter topic, read back: who gave up on what, and why. */
export interface DeadLetter {
  /** The consumer group that could not handle it. */
  group: string;
  sourceTopic: string;
  reason: string;
  /** The event as it was published, or null when it could not be decoded (then no handler saw it). */
  event: SluiceEvent | null;
}

/** Reads a dead-letter record: the original event keeps its own headers, the `dlq-*` ones say the rest. */
export function readDeadLetter(record: LogRecord): DeadLetter {
  const h = record.headers;
  let event: SluiceEvent | null = null;
  try {
    event = decodeEvent(record);
  } catch {
    event = null;
  }
  return { group: h[DeadLetterHeaders.groupId] ?? '', sourceTopic: h[DeadLetterHeaders.sourceTopic] ?? '', reason: h[DeadLetterHeaders.error] ?? '', event };
}

/**
 * The fields of the line about a dead-lettered record (see reportDeadLettered), in its trace: the
 * event's own, else its (first) object's, as every service derives it for an object without one.
 */
export function deadLetterLogFields(record: LogRecord, groupId: string, reason: string): { eventType?: string } & Record<string, unknown> {
  const facts = recordFacts(record);
  const traceparent = facts.traceparent ?? (facts.objectIds.length > 0 ? objectTraceparent(facts.objectIds[0]) : undefined);
  return {
    ...traceFields(traceparent),
    group: groupId,
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    key: record.key,
    eventType: facts.type,
    eventId: facts.eventId,
    ...(facts.objectIds.length === 1 ? { objectId: facts.objectIds[0] } : facts.objectIds.length > 1 ? { objectIds: facts.objectIds.slice(0, 20) } : {}),
    reason: reason.slice(0, 300),
  };
}
