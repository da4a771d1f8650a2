import { EnvelopeMetaSchema } from './envelope';
import { Upcasters, definitionOf, type SluiceEvent } from './catalogue';
import { upcastPayload } from './upcast';

/** The bytes of an event on the log: metadata in headers, payload as JSON in the value. */
export interface EncodedEvent {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

const H = {
  eventId: 'sluice-event-id',
  type: 'sluice-event-type',
  version: 'sluice-event-version',
  occurredAt: 'sluice-occurred-at',
  correlationId: 'sluice-correlation-id',
  causationId: 'sluice-causation-id',
  traceparent: 'traceparent',
} as const;

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
