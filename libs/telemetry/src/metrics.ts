import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type MetricObjectWithValues, type MetricValue } from 'prom-client';

/**
 * This thread's Prometheus metrics. Every metric Sluice exposes is declared here, once, so a
 * dashboard author finds them in one place; code observes them where the fact happens.
 * A thread has its own registry: the embedded engine's services thread hands its metrics to
 * the main thread on request (`addMetricsSource`), which serves them all on one `/metrics`.
 */
export const metricsRegistry = new Registry();

const registers = [metricsRegistry];
const SECONDS_FAST = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const SECONDS_SLOW = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120];

export const httpRequestSeconds = new Histogram({
  name: 'sluice_http_request_duration_seconds',
  help: 'HTTP requests by method, route (the route pattern, "unmatched" for 404s) and status code',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: SECONDS_FAST,
  registers,
});

export const realtimeOverheadSeconds = new Histogram({
  name: 'sluice_realtime_overhead_seconds',
  help: 'Real-time requests (/v1/inference, /v1/chat/completions) served: end-to-end time minus provider time',
  buckets: SECONDS_FAST,
  registers,
});

export const providerCallSeconds = new Histogram({
  name: 'sluice_provider_call_duration_seconds',
  help: 'Live provider calls by provider, provider model and outcome (ok, error)',
  labelNames: ['provider', 'model', 'outcome'] as const,
  buckets: SECONDS_SLOW,
  registers,
});

export const providerErrors = new Counter({
  name: 'sluice_provider_errors_total',
  help: 'Failed live provider calls by provider, provider model and error code',
  labelNames: ['provider', 'model', 'code'] as const,
  registers,
});

export const providerFailovers = new Counter({
  name: 'sluice_provider_failovers_total',
  help: 'Live calls moved on to the next provider after this provider (and provider model) failed',
  labelNames: ['provider', 'model'] as const,
  registers,
});

export const deadLettered = new Counter({
  name: 'sluice_dead_lettered_total',
  help: 'Events a consumer group could not handle after its retries and sent to the dead-letter topic, by group, source topic and event type',
  labelNames: ['group', 'topic', 'type'] as const,
  registers,
});

/** Billing's decisions, in micro-dollars (1e-6 USD), counted once each when billing commits them. */
export const billingMicros = new Counter({
  name: 'sluice_billing_micros_total',
  help: "Money moved by billing's committed decisions, micro-dollars, by kind: reserved, charged, released, credited",
  labelNames: ['kind'] as const,
  registers,
});

export const billingDecisions = new Counter({
  name: 'sluice_billing_decisions_total',
  help: "Billing's committed decisions by kind: reserved, denied, charged, released, credited",
  labelNames: ['kind'] as const,
  registers,
});

type LagSource = () => Promise<readonly { topic: string; partition: number; lag: number }[]>;
const lagSources = new Map<string, LagSource>();

export const consumerLag = new Gauge({
  name: 'sluice_consumer_lag',
  help: "Records not yet handled by a consumer group in this process, by topic and partition (end offset minus the group's committed offset)",
  labelNames: ['group', 'topic', 'partition'] as const,
  registers,
  async collect() {
    this.reset();
    await Promise.all(
      [...lagSources].map(async ([group, source]) => {
        const lags = await source().catch(() => []);
        for (const { topic, partition, lag } of lags) this.set({ group, topic, partition: String(partition) }, lag);
      }),
    );
  },
});

/** Reports a consumer group's lag at each scrape until the returned function is called. */
export function watchConsumerLag(group: string, source: LagSource): () => void {
  lagSources.set(group, source);
  return () => {
    if (lagSources.get(group) === source) lagSources.delete(group);
  };
}

type ObjectCounts = () => Promise<readonly { status: string; slaMissed: boolean; count: number }[]>;
let objectCounts: ObjectCounts | undefined;

export const objectsByStatus = new Gauge({
  name: 'sluice_objects',
  help: 'Objects (task items, file lines, real-time requests) by current status, from the API read model',
  labelNames: ['status'] as const,
  registers,
  async collect() {
    await countObjects(this, (row) => ({ status: row.status }), () => true);
  },
});

export const slaMissedObjects = new Gauge({
  name: 'sluice_sla_missed_objects',
  help: 'Objects that reached a final status after their SLA deadline, by status, from the API read model',
  labelNames: ['status'] as const,
  registers,
  async collect() {
    await countObjects(this, (row) => ({ status: row.status }), (row) => row.slaMissed);
  },
});

async function countObjects(gauge: Gauge<'status'>, labels: (row: { status: string }) => { status: string }, keep: (row: { slaMissed: boolean }) => boolean) {
  gauge.reset();
  if (!objectCounts) return;
  const rows = await objectCounts().catch(() => []);
  for (const row of rows) if (keep(row)) gauge.inc(labels(row), row.count);
}

/**
 * Where the object gauges read their counts (the API's read model, at scrape time). The first
 * source stays: API replicas in one process share one database.
 */
export function countObjectsWith(source: ObjectCounts): () => void {
  objectCounts ??= source;
  return () => {
    if (objectCounts === source) objectCounts = undefined;
  };
}

let defaultsOn = false;

/** Event-loop lag, heap, GC and (on the main thread) RSS and CPU: prom-client's default metrics. */
export function collectProcessMetrics(): void {
  if (defaultsOn) return;
  defaultsOn = true;
  collectDefaultMetrics({ register: metricsRegistry });
}

/** Metrics of another thread of this process, fetched at each scrape. */
export type MetricsSource = () => Promise<MetricObjectWithValues<MetricValue<string>>[]>;
const sources = new Set<MetricsSource>();

export function addMetricsSource(source: MetricsSource): () => void {
  sources.add(source);
  return () => sources.delete(source);
}

export const METRICS_CONTENT_TYPE = metricsRegistry.contentType;

/** The text `/metrics` serves: this thread's metrics and those of the sources added. */
export async function metricsText(): Promise<string> {
  if (sources.size === 0) return metricsRegistry.metrics();
  const all = await Promise.all([metricsRegistry.getMetricsAsJSON(), ...[...sources].map((source) => source().catch(() => []))]);
  // Threads label what they share apart (thread="services"), so summing never adds two threads' values.
  return AggregatorRegistry.aggregate(all.map((metrics) => metrics.map((metric) => ({ ...metric, aggregator: 'sum' as const })))).metrics();
}

/** SLUICE_METRICS=false turns off the HTTP histogram, `/metrics` and the default metrics (to measure what they cost). */
export function metricsEnabled(env: Record<string, string | undefined> = process.env): boolean {
  return env.SLUICE_METRICS !== 'false';
}
