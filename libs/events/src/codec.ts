import { EnvelopeMetaSchema } from './envelope';
import { Upcasters, definitionOf, type SluiceEvent } from './catalogue';
import { upcastPayload } from './upcast';

/** The bytes of an event on the log: metadata in headers, payload as JSON in the value. */
export interface EncodedEvent {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

/** The Kafka headers that carry an event's metadata (the value is the payload's JSON). */
export const EventHeaders = {
  eventId: 'sluice-event-id',
  type: 'sluice-event-type',
  version: 'sluice-event-version',
  occurredAt: 'sluice-occurred-at',
  correlationId: 'sluice-correlation-id',
  causationId: 'sluice-causation-id',
  traceparent: 'traceparent',
} as const;
const H = EventHeaders;

/** An event that cannot be read: it goes to the dead-letter topic, never into a handler. */
export class UndecodableEventError extends Error {
  override readonly name = 'UndecodableEventError';
}

export function encodeEvent(event: SluiceEvent): EncodedEvent {
  const headers: Record<string, string> = {
    [H.eventId]: event.eventId,
    [H.type]: event.type,
    [H.version]: String(event.version),
    [H.occurredAt]: event.occurredAt,
    [H.correlationId]: event.correlationId,
  };
  if (event.causationId) headers[H.causationId] = event.causationId;
  if (event.traceparent) headers[H.traceparent] = event.traceparent;
  return { key: event.key, value: Buffer.from(JSON.stringify(event.payload)), headers };
}

/** What a record says about itself, read without validating it. */
export interface RecordFacts {
  type?: string;
  eventId?: string;
  traceparent?: string;
  /** The `objectId` of its payload, or of each item of a batch. */
  objectIds: string[];
}

/**
 * The facts of a record for a line about it (one that was dead-lettered may not decode): its
 * headers, and the object ids its payload names, if it is JSON.
 */
export function recordFacts(record: { value: Buffer | null; headers: Record<string, string | undefined> }): RecordFacts {
  const h = record.headers;
  const facts: RecordFacts = { type: h[H.type], eventId: h[H.eventId], traceparent: h[H.traceparent], objectIds: [] };
  let payload: unknown;
  try {
    payload = JSON.parse((record.value ?? Buffer.alloc(0)).toString('utf8'));
  } catch {
    return facts;
  }
  if (typeof payload !== 'object' || payload === null) return facts;
  const { objectId, items } = payload as { objectId?: unknown; items?: unknown };
  if (typeof objectId === 'string') facts.objectIds.push(objectId);
  if (Array.isArray(items)) for (const item of items) if (typeof (item as { objectId?: unknown })?.objectId === 'string') facts.objectIds.push((item as { objectId: string }).objectId);
  return facts;
}

/** Parses and validates an event read from the log, upcasting old versions to the current one. */
export function decodeEvent(record: { key: string | null; value: Buffer | null; headers: Record<string, string | undefined> }): SluiceEvent {
  const h = record.headers;
  const meta = EnvelopeMetaSchema.safeParse({
    eventId: h[H.eventId],
    type: h[H.type],
    version: Number(h[H.version]),
    occurredAt: h[H.occurredAt],
    key: record.key ?? undefined,
    correlationId: h[H.correlationId],
    causationId: h[H.causationId] ?? null,
    traceparent: h[H.traceparent],
  });
  if (!meta.success) throw new UndecodableEventError(`bad envelope: ${meta.error.message}`);
  const def = definitionOf(meta.data.type);
  if (!def) throw new UndecodableEventError(`unknown event type ${meta.data.type}`);
  if (meta.data.version > def.version) {
    throw new UndecodableEventError(`${def.type} v${meta.data.version} is newer than this build (v${def.version})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse((record.value ?? Buffer.alloc(0)).toString('utf8'));
  } catch {
    throw new UndecodableEventError(`${def.type} payload is not JSON`);
  }
  let payload: unknown;
  try {
    const current = upcastPayload(Upcasters, def.type, meta.data.version, def.version, raw);
    payload = def.schema.parse(current);
  } catch (err) {
    throw new UndecodableEventError(`${def.type} v${meta.data.version} payload invalid: ${(err as Error).message}`);
  }
  return { ...meta.data, version: def.version, payload } as SluiceEvent;
}
