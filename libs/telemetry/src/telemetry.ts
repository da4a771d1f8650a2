import { ROOT_CONTEXT, context, propagation, trace, type Context, type Span, type SpanOptions, type Tracer } from '@opentelemetry/api';
import type { IdGenerator, SpanExporter } from '@opentelemetry/sdk-trace-base';

// The SDK is loaded only when a process traces: a service without an exporter carries just the
// API (a few hundred kB), not the SDK and the OTLP exporter.
const sdk = () => ({
  ...(require('@opentelemetry/context-async-hooks') as typeof import('@opentelemetry/context-async-hooks')),
  ...(require('@opentelemetry/core') as typeof import('@opentelemetry/core')),
  ...(require('@opentelemetry/resources') as typeof import('@opentelemetry/resources')),
  ...(require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base')),
});

export interface TelemetryOptions {
  /** `service.name` of this process: `sluice-<service>` in a distributed deployment, `sluice` embedded. */
  serviceName: string;
  /** Where spans go; by default OTLP over HTTP when the standard OTEL_* variables ask for it. */
  exporter?: SpanExporter;
  /** Export each span as it ends (tests); default: batches. */
  simple?: boolean;
  env?: Record<string, string | undefined>;
}

export interface Telemetry {
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

let enabled = false;
let traceHeartbeats = false;
const TRACER = 'sluice';

/**
 * Ids the next span takes instead of random ones: a derived trace (an object's, a provider
 * batch job's) is named before any span of it exists, and its root must be exported with exactly
 * the span id its children name as their parent. Set and cleared around one synchronous
 * `startSpan` (see startSpanAs).
 */
let pinned: { traceId: string; spanId: string } | null = null;

function pinnableIds(random: IdGenerator): IdGenerator {
  return {
    generateTraceId: () => pinned?.traceId ?? random.generateTraceId(),
    generateSpanId: () => pinned?.spanId ?? random.generateSpanId(),
  };
}

/** Starts the span a W3C traceparent names (its trace id and span id), as a root: the exported root of a derived trace. */
export function startSpanAs(traceparent: string, name: string, options: SpanOptions = {}): Span {
  const [, traceId, spanId] = traceparent.split('-');
  pinned = { traceId, spanId };
  try {
    return tracer().startSpan(name, { ...options, root: true }, ROOT_CONTEXT);
  } finally {
    pinned = null;
  }
}

/**
 * Whether heartbeats and probes (ServiceHeartbeat, GET /healthz, /readyz, /livez, /metrics) get
 * spans: off unless OTEL_TRACE_HEARTBEATS=true, as they would outnumber every other span.
 */
export const heartbeatsTraced = (): boolean => traceHeartbeats;

/** Whether spans are recorded in this process (else every helper here is a no-op costing nothing). */
export const tracingEnabled = (): boolean => enabled;
export const tracer = (): Tracer => trace.getTracer(TRACER);

/** An OTLP exporter when OTEL_EXPORTER_OTLP_ENDPOINT (or …_TRACES_ENDPOINT) is set and OTEL_TRACES_EXPORTER is not `none`. */
function exporterFromEnv(env: Record<string, string | undefined>): SpanExporter | null {
  if (env.OTEL_TRACES_EXPORTER === 'none' || env.OTEL_SDK_DISABLED === 'true') return null;
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return null;
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  return new OTLPTraceExporter();
}

/**
 * Registers the process's tracer provider (W3C trace context, AsyncLocalStorage context) when
 * there is somewhere to send spans; returns null when there is not (tracing off) or when this
 * process already traces (the first registration stays).
 */
export function startTelemetry(options: TelemetryOptions): Telemetry | null {
  // Several services in one process (the embedded engine, tests) share the first provider.
  if (enabled) return null;
  const env = options.env ?? process.env;
  const exporter = options.exporter ?? exporterFromEnv(env);
  if (!exporter) return null;
  const { AsyncLocalStorageContextManager, BasicTracerProvider, BatchSpanProcessor, RandomIdGenerator, SimpleSpanProcessor, W3CTraceContextPropagator, resourceFromAttributes } = sdk();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    idGenerator: pinnableIds(new RandomIdGenerator()),
    spanProcessors: [options.simple ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter)],
  });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  enabled = true;
  traceHeartbeats = env.OTEL_TRACE_HEARTBEATS === 'true';
  return {
    forceFlush: () => provider.forceFlush(),
    shutdown: async () => {
      enabled = false;
      traceHeartbeats = false;
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

/** The context a W3C `traceparent` header names (the active one when there is none). */
export function contextOf(traceparent: string | undefined, base: Context = context.active()): Context {
  return traceparent ? propagation.extract(base, { traceparent }) : base;
}

/** The W3C `traceparent` of a span, or of the active span; undefined without one (or with tracing off). */
export function traceparentOf(span?: Span): string | undefined {
  if (!enabled) return undefined;
  const carrier: Record<string, string> = {};
  const ctx = span ? trace.setSpan(context.active(), span) : context.active();
  propagation.inject(ctx, carrier);
  return carrier.traceparent;
}
