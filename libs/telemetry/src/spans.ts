import { createHash } from 'node:crypto';
import { SpanKind, SpanStatusCode, trace, context, type Attributes, type Link, type Span } from '@opentelemetry/api';
import { contextOf, heartbeatsTraced, startSpanAs, tracer, tracingEnabled } from './telemetry';

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
  return derivedTraceparent(`sluice-object:${objectId}`);
}

/** The trace of a provider batch job (submit, polls, results), derived from its batch id. */
export function batchJobTraceparent(batchId: string): string {
  return derivedTraceparent(`sluice-provider-batch:${batchId}`);
}

function derivedTraceparent(name: string): string {
  const digest = createHash('sha256').update(name).digest('hex');
  return `00-${digest.slice(0, 32)}-${digest.slice(32, 48)}-01`;
}

/** At most this many links per span: the SDK's default limit (more would be dropped silently). */
const MAX_LINKS = 128;

function linksTo(traceparents: readonly (string | undefined)[]): Link[] {
  const links: Link[] = [];
  for (const traceparent of traceparents) {
    if (links.length >= MAX_LINKS) break;
    const spanContext = traceparent ? trace.getSpanContext(contextOf(traceparent)) : undefined;
    if (spanContext) links.push({ context: spanContext });
  }
  return links;
}

/**
 * Exports the root span of each object's derived trace (see objectTraceparent), with exactly
 * the ids its other spans name as their parent, when the object enters the exchange (the API
 * accepts an item, the files service expands a line). It links to the active span (the
 * submission's HTTP request), whose trace is the request's, not the object's.
 */
export function recordObjectRoots(objectIds: readonly string[], attributes: Attributes = {}): void {
  if (!tracingEnabled() || objectIds.length === 0) return;
  const active = trace.getSpan(context.active())?.spanContext();
  const links = active ? [{ context: active }] : [];
  for (const objectId of objectIds) {
    // One span name for all objects (the id is an attribute): names stay low-cardinality.
    startSpanAs(objectTraceparent(objectId), 'object submitted', { kind: SpanKind.PRODUCER, attributes: { ...attributes, 'sluice.object.id': objectId }, links }).end();
  }
}

/** Ends at once one span per entry, each a child in its own trace (an item's part in a provider batch job), linked to `link`. */
export function recordSpans(name: string, entries: readonly { traceparent: string; attributes: Attributes }[], link?: Span | null): void {
  if (!tracingEnabled()) return;
  const links = link ? [{ context: link.spanContext() }] : [];
  for (const entry of entries) tracer().startSpan(name, { kind: SpanKind.INTERNAL, attributes: entry.attributes, links }, contextOf(entry.traceparent)).end();
}

/** The trace an event belongs to: its own traceparent, else its object's. */
export function traceparentOfEvent(event: TracedEvent): string | undefined {
  if (event.traceparent) return event.traceparent;
  const objectId = objectIdOf(event);
  return objectId ? objectTraceparent(objectId) : undefined;
}

/** Events about the exchange's machinery, not its objects: no spans unless OTEL_TRACE_HEARTBEATS=true. */
const UNTRACED_EVENTS = new Set(['ServiceHeartbeat']);

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
  const traced = heartbeatsTraced() ? events : events.filter((e) => !UNTRACED_EVENTS.has(e.type));
  if (traced.length === 0) return handle();
  const spans = traced.map((event) => {
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

export interface InSpanOptions {
  /** Default: CLIENT (a call to a provider). */
  kind?: SpanKind;
  /** The span IS the one `traceparent` names (the exported root of a derived trace), not its child. */
  asRoot?: boolean;
  /** Traces this span's work concerns (each item of a provider batch job); the first 128 are linked. */
  links?: readonly (string | undefined)[];
}

/** Runs `work` inside a span of the given trace (e.g. a provider call for a dispatched object). */
export async function inSpan<T>(
  name: string,
  traceparent: string | undefined,
  attributes: Attributes,
  work: (span: Span | null) => Promise<T>,
  options: InSpanOptions = {},
): Promise<T> {
  if (!tracingEnabled()) return work(null);
  const spanOptions = { kind: options.kind ?? SpanKind.CLIENT, attributes, links: linksTo(options.links ?? []) };
  const span = options.asRoot && traceparent ? startSpanAs(traceparent, name, spanOptions) : tracer().startSpan(name, spanOptions, contextOf(traceparent));
  try {
    return await work(span);
  } catch (err) {
    fail(span, err);
    throw err;
  } finally {
    span.end();
  }
}
