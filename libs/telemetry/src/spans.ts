import { createHash } from 'node:crypto';
import { SpanKind, SpanStatusCode, type Attributes, type Span } from '@opentelemetry/api';
import { contextOf, tracer, tracingEnabled } from './telemetry';

/** What a consumer span needs of an event (the envelope of libs/events). */
export interface TracedEvent {
  readonly type: string;
  readonly eventId: string;
  readonly correlationId?: string;
  readonly traceparent?: string;
  readonly payload: unknown;
}

const objectIdOf = (event: TracedEvent): string | undefined => {
  const id = (event.payload as { objectId?: unknown } | null)?.objectId;
  return typeof id === 'string' ? id : undefined;
};

/**
 * The trace of an object that came in without one (a line of an uploaded file, an item of a
 * task): derived from its id, so every service puts that object's spans in one trace.
 */
export function objectTraceparent(objectId: string): string {
  const digest = createHash('sha256').update(`sluice-object:${objectId}`).digest('hex');
  return `00-${digest.slice(0, 32)}-${digest.slice(32, 48)}-01`;
}

/** The trace an event belongs to: its own traceparent, else its object's. */
export function traceparentOfEvent(event: TracedEvent): string | undefined {
  if (event.traceparent) return event.traceparent;
  const objectId = objectIdOf(event);
  return objectId ? objectTraceparent(objectId) : undefined;
}

function fail(span: Span, err: unknown): void {
  span.recordException(err instanceof Error ? err : new Error(String(err)));
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
}

/**
 * Runs `handle` for a batch a consumer received, with one CONSUMER span per event in that
 * event's trace (`<consumer> <EventType>`), ended when the batch is handled (in error if it failed).
 */
export async function withConsumerSpans(consumer: string, events: readonly TracedEvent[], handle: () => Promise<void>): Promise<void> {
  if (!tracingEnabled()) return handle();
  const spans = events.map((event) => {
    const attributes: Attributes = {
      'messaging.system': 'sluice',
      'messaging.consumer.group.name': consumer,
      'sluice.event.type': event.type,
      'sluice.event.id': event.eventId,
    };
    const objectId = objectIdOf(event);
    if (objectId) attributes['sluice.object.id'] = objectId;
    if (event.correlationId) attributes['sluice.correlation.id'] = event.correlationId;
    return tracer().startSpan(`${consumer} ${event.type}`, { kind: SpanKind.CONSUMER, attributes }, contextOf(traceparentOfEvent(event)));
  });
  try {
    await handle();
  } catch (err) {
    spans.forEach((span) => fail(span, err));
    throw err;
  } finally {
    spans.forEach((span) => span.end());
  }
}

/** Runs `work` inside a span of the given trace (e.g. a provider call for a dispatched object). */
export async function inSpan<T>(name: string, traceparent: string | undefined, attributes: Attributes, work: (span: Span | null) => Promise<T>, kind = SpanKind.CLIENT): Promise<T> {
  if (!tracingEnabled()) return work(null);
  const span = tracer().startSpan(name, { kind, attributes }, contextOf(traceparent));
  try {
    return await work(span);
  } catch (err) {
    fail(span, err);
    throw err;
  } finally {
    span.end();
  }
}
