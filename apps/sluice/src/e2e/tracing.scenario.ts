import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { batchJobTraceparent, objectTraceparent, startTelemetry, type Telemetry } from '@sluice/telemetry';
import type { EmbeddedSluice } from '../embedded-host';
import { until } from './http';

export interface TracingHarness {
  sluice: EmbeddedSluice;
  adminKey: string;
}

/**
 * What the engine runs with in these scenarios: every service on this thread (the in-memory
 * exporter sees this thread's spans only), 120× from 08:00 so a provider batch group's wait
 * passes in seconds and its batch stays cheapest (a live off-peak price starts at 16:30), and a
 * heartbeat every 200 ms so heartbeats are many.
 */
export const TRACING_ENV = {
  SLUICE_SERVICE_THREAD: 'false',
  SLUICE_TIME_SCALE: '120',
  SLUICE_CLOCK_ORIGIN: '2030-01-02T08:00:00.000Z',
  HEARTBEAT_INTERVAL_MS: '200',
};

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const SERVICES = ['api', 'billing', 'files', 'router', 'scheduler'];
const PROBES = ['/healthz', '/readyz', '/livez', '/metrics'];

const traceIdOf = (traceparent: string) => traceparent.split('-')[1];
const spanIdOf = (traceparent: string) => traceparent.split('-')[2];
const describeSpan = (s: ReadableSpan) => `${s.name} (parent ${s.parentSpanContext?.spanId ?? 'none'})`;

/** The spans of one trace whose parent is not among the exported spans of that trace: a whole trace has exactly one. */
function rootsOf(spans: readonly ReadableSpan[]): ReadableSpan[] {
  const ids = new Set(spans.map((s) => s.spanContext().spanId));
  return spans.filter((s) => !s.parentSpanContext || !ids.has(s.parentSpanContext.spanId));
}

function expectOneRoot(spans: readonly ReadableSpan[]): ReadableSpan {
  const roots = rootsOf(spans);
  expect(roots.map(describeSpan)).toHaveLength(1);
  return roots[0];
}

/**
 * OpenTelemetry across the five services, the same on the embedded engine and on Kafka +
 * PostgreSQL: each object's spans share one trace with one exported root, a provider batch job
 * has spans of its own linked to its items, and heartbeats and probes leave no span.
 */
export function tracingScenarios(start: () => Promise<TracingHarness>, stop: () => Promise<void>) {
  const exporter = new InMemorySpanExporter();
  let telemetry: Telemetry | null;
  let url: string;
  let key: string;

  const call = async <T>(method: string, path: string, auth: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${auth}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json().catch(() => null)) as T };
  };
  const spansOf = (traceId: string) => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
  const consumerGroups = (spans: readonly ReadableSpan[]) => new Set(spans.filter((s) => s.kind === SpanKind.CONSUMER).map((s) => String(s.attributes['messaging.consumer.group.name'])));
  const servicesOf = (spans: readonly ReadableSpan[]) => [...new Set([...consumerGroups(spans)].map((g) => g.split(/[-.]/)[0]))].sort();
  const has = (spans: readonly ReadableSpan[], consumer: string, type: string) =>
    spans.some((s) => s.kind === SpanKind.CONSUMER && String(s.attributes['messaging.consumer.group.name']).startsWith(consumer) && s.attributes['sluice.event.type'] === type);
  /** The object's trace once billing charged it and the API projected the charge. */
  const chargedTrace = (objectId: string) =>
    until(`the charge of ${objectId} in its trace`, async () => {
      const spans = spansOf(traceIdOf(objectTraceparent(objectId)));
      return has(spans, 'billing', 'ObjectCompleted') && has(spans, 'api', 'Charged') ? spans : undefined;
    }, 60_000);

  beforeAll(async () => {
    telemetry = startTelemetry({ serviceName: 'sluice-e2e', exporter, simple: true });
    const h = await start();
    url = h.sluice.url;
    const created = await call<{ api_key: string }>('POST', '/v0/admin/accounts', h.adminKey, { name: 'tracing', credit_usd: 20 });
    key = created.body.api_key;
    await until('the credit', async () => ((await call<{ current_balance_usd: number }>('GET', '/v1/balance', key)).body.current_balance_usd > 0 ? true : undefined), 30_000);
  });
  afterAll(async () => {
    await stop();
    await telemetry?.shutdown();
  });

  it('puts a real-time request in the caller\'s trace: the HTTP span its one root, every service\'s consumer spans and the provider call under it', async () => {
    expect(telemetry).not.toBeNull();
    const reply = await call<{ id: string; status: string }>(
      'POST',
      '/v1/inference',
      key,
      { model: 'qwen-7b', input: 'Trace me through the exchange.', max_output_tokens: 32, performance_profile: 'fast' },
      { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01` },
    );
    expect(reply.body.status).toBe('success');
    const spans = await until('the charge in the request\'s trace', async () => (has(spansOf(TRACE_ID), 'api', 'Charged') ? spansOf(TRACE_ID) : undefined), 30_000);

    const root = expectOneRoot(spans);
    expect(root.kind).toBe(SpanKind.SERVER);
    expect(root.name).toBe('POST /v1/inference');
    expect(root.parentSpanContext?.spanId).toBe(CALLER_SPAN);
    expect(root.attributes['http.response.status_code']).toBe(200);
    // Reserve, run, charge and project: the services on a real-time request's path saw it in this trace.
    expect(servicesOf(spans)).toEqual(expect.arrayContaining(['api', 'billing']));
    expect(spans.filter((s) => s.kind === SpanKind.CONSUMER).every((s) => s.attributes['sluice.object.id'] === undefined || s.attributes['sluice.object.id'] === reply.body.id)).toBe(true);
    const provider = spans.find((s) => s.kind === SpanKind.CLIENT);
    expect(provider?.name).toBe('provider swift openai');
    expect(provider?.attributes).toMatchObject({ 'gen_ai.request.model': expect.any(String), 'gen_ai.usage.output_tokens': expect.any(Number) });
  });

  it('gives each item of a task one trace, derived from its id, across all five services, with one exported root linked to the request', async () => {
    const reply = await call<{ objects: { object_id: string; status: string }[] }>('POST', '/v0/infer/', key, [
      { model: 'qwen-7b', input: 'First object.' },
      { model: 'llama-3.1-8b', input: 'Second object.' },
    ]);
    const [a, b] = reply.body.objects.map((o) => o.object_id);
    expect(traceIdOf(objectTraceparent(a))).not.toBe(traceIdOf(objectTraceparent(b)));
    for (const objectId of [a, b]) {
      const spans = await chargedTrace(objectId);
      const root = expectOneRoot(spans);
      // The request's span ends once its answer is sent: found by now.
      const request = exporter.getFinishedSpans().find((s) => s.spanContext().spanId === root.links[0]?.context.spanId);
      expect(root).toMatchObject({ name: 'object submitted', parentSpanContext: undefined });
      expect(root.spanContext().spanId).toBe(spanIdOf(objectTraceparent(objectId)));
      expect(root.links).toHaveLength(1);
      expect(request && describeSpan(request)).toMatch(/^POST \/v0\/infer/);
      expect(servicesOf(spans)).toEqual(SERVICES);
      expect(new Set(spans.map((s) => s.attributes['sluice.object.id']).filter(Boolean))).toEqual(new Set([objectId]));
    }
  });

  it('roots the trace of each line of a file in the files service, which expands it', async () => {
    const lines = ['Name a lake.', 'Name a hill.'].map((text, i) => JSON.stringify({ key: `line-${i}`, request: { contents: [{ parts: [{ text }] }], model: 'qwen-7b' } }));
    const form = new FormData();
    form.append('file', new Blob([lines.join('\n')]), 'traced.jsonl');
    const up = (await (await fetch(`${url}/v0/files/traced.jsonl`, { method: 'PUT', headers: { authorization: `Bearer ${key}` }, body: form })).json()) as { file_id: string };
    const submitted = await call<{ task_id: string }>('POST', '/v0/infer/', key, [{ file_id: up.file_id, sla: null }]);
    const task = await until('the lines as objects', async () => {
      const t = await call<{ objects?: { object_id: string }[] }>('GET', `/v0/infer/task/${submitted.body.task_id}`, key);
      return t.body.objects?.length === 2 ? t.body.objects : undefined;
    }, 60_000);
    for (const { object_id: objectId } of task) {
      const spans = await chargedTrace(objectId);
      const root = expectOneRoot(spans);
      expect(root).toMatchObject({ name: 'object submitted', parentSpanContext: undefined, attributes: expect.objectContaining({ 'sluice.file.id': up.file_id }) });
      expect(root.spanContext().spanId).toBe(spanIdOf(objectTraceparent(objectId)));
      expect(servicesOf(spans)).toEqual(SERVICES);
    }
  });

  it('traces a provider batch job (submit, poll, results) in a trace of its own, linked to each item, and shows its part in the item\'s trace', async () => {
    const reply = await call<{ objects: { object_id: string }[] }>('POST', '/v0/infer/', key, [{ sla: 60, model: 'openai:gpt-4o', input: 'Describe the process of photosynthesis.' }]);
    const objectId = reply.body.objects[0].object_id;
    const spans = await chargedTrace(objectId);
    expectOneRoot(spans);
    const sent = spans.find((s) => s.name === 'provider batch sent');
    const result = spans.find((s) => s.name === 'provider batch result');
    expect(sent?.attributes).toMatchObject({ 'sluice.object.id': objectId, 'sluice.provider_batch.id': expect.any(String) });
    expect(result?.attributes).toMatchObject({ 'sluice.object.id': objectId, 'sluice.provider_batch.item': 'ok' });

    const batchId = String(sent?.attributes['sluice.batch.id']);
    const job = spansOf(traceIdOf(batchJobTraceparent(batchId)));
    const submit = expectOneRoot(job);
    expect(submit.name).toMatch(/^provider batch submit /);
    expect(submit.parentSpanContext).toBeUndefined();
    expect(submit.spanContext().spanId).toBe(spanIdOf(batchJobTraceparent(batchId)));
    expect(job.filter((s) => s.name.startsWith('provider batch poll ')).length).toBeGreaterThan(0);
    const results = job.find((s) => s.name.startsWith('provider batch results '));
    expect(results).toBeDefined();
    // Links both ways: the job's spans to the item's trace, the item's spans to the job's.
    for (const span of [submit, results!]) expect(span.links.map((l) => l.context.traceId)).toContain(traceIdOf(objectTraceparent(objectId)));
    expect(sent?.links.map((l) => l.context.spanId)).toEqual([submit.spanContext().spanId]);
    expect(result?.links.map((l) => l.context.spanId)).toEqual([results!.spanContext().spanId]);
  });

  it('exports no span about heartbeats or probes', async () => {
    for (const path of PROBES) await fetch(`${url}${path}`);
    // Heartbeats every 200 ms: by now every service has sent many, and the API consumed them.
    const spans = exporter.getFinishedSpans();
    const noise = spans.filter((s) => s.attributes['sluice.event.type'] === 'ServiceHeartbeat' || PROBES.includes(String(s.attributes['url.path']).replace(/\/+$/, '')));
    expect(noise.map(describeSpan)).toEqual([]);
    expect(spans.length).toBeGreaterThan(0);
  });
}
