import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { objectTraceparent, startTelemetry, type Telemetry } from '@sluice/telemetry';
import { until } from './http';
import { startEmbeddedForTest, type TestEngine } from './test-engine';

jest.setTimeout(180_000);

const ADMIN_KEY = 'sk_admin_e2e_tracing_0123456789';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

/** OpenTelemetry across the five services: one trace per object, from HTTP ingress to the charge. */
describe('tracing on the embedded engine', () => {
  const exporter = new InMemorySpanExporter();
  let telemetry: Telemetry | null;
  let engine: TestEngine;
  let key: string;

  const call = async <T>(method: string, path: string, auth: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${engine.sluice.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as T };
  };
  const spansOf = (traceId: string) => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
  const consumerGroups = (spans: ReadableSpan[]) => new Set(spans.filter((s) => s.kind === SpanKind.CONSUMER).map((s) => String(s.attributes['messaging.consumer.group.name'])));
  const charged = (spans: ReadableSpan[]) => spans.some((s) => s.kind === SpanKind.CONSUMER && s.attributes['sluice.event.type'] === 'Charged');

  beforeAll(async () => {
    telemetry = startTelemetry({ serviceName: 'sluice-e2e', exporter, simple: true });
    // The in-memory exporter sees this thread's spans only: all five services run on it here
    // (with the services thread, each thread exports to the OTLP endpoint on its own).
    engine = await startEmbeddedForTest({ name: 'tracing', adminKey: ADMIN_KEY, env: { SLUICE_TIME_SCALE: '1', SLUICE_SERVICE_THREAD: 'false' } });
    const created = await call<{ api_key: string }>('POST', '/v0/admin/accounts', ADMIN_KEY, { name: 'tracing', credit_usd: 5 });
    key = created.body.api_key;
    await until('the credit', async () => ((await call<{ current_balance_usd: number }>('GET', '/v1/balance', key)).body.current_balance_usd > 0 ? true : undefined), 30_000);
  });
  afterAll(async () => {
    await engine?.stop();
    await telemetry?.shutdown();
  });

  it('puts a real-time request in the caller\'s trace: the HTTP span, every service\'s consumer spans and the provider call', async () => {
    expect(telemetry).not.toBeNull();
    const reply = await call<{ id: string; status: string }>(
      'POST',
      '/v1/inference',
      key,
      { model: 'qwen-7b', input: 'Trace me through the exchange.', max_output_tokens: 32, performance_profile: 'fast' },
      { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01` },
    );
    expect(reply.body.status).toBe('success');
    const spans = await until('the charge in the request\'s trace', async () => (charged(spansOf(TRACE_ID)) ? spansOf(TRACE_ID) : undefined), 30_000);

    const http = spans.find((s) => s.kind === SpanKind.SERVER);
    expect(http?.name).toBe('POST /v1/inference');
    expect(http?.parentSpanContext?.spanId).toBe(CALLER_SPAN);
    expect(http?.attributes['http.response.status_code']).toBe(200);
    // Reserve, plan, dispatch, run, charge and project: every service saw the object in this trace.
    expect([...consumerGroups(spans)].map((g) => g.split(/[-.]/)[0]).sort()).toEqual(expect.arrayContaining(['api', 'billing', 'router', 'scheduler']));
    expect(spans.filter((s) => s.kind === SpanKind.CONSUMER).every((s) => s.attributes['sluice.object.id'] === undefined || s.attributes['sluice.object.id'] === reply.body.id)).toBe(true);
    const provider = spans.find((s) => s.kind === SpanKind.CLIENT);
    expect(provider?.name).toBe('provider swift openai');
    expect(provider?.attributes).toMatchObject({ 'gen_ai.request.model': expect.any(String), 'gen_ai.usage.output_tokens': expect.any(Number) });
  });

  it('gives each object of a task a trace of its own, derived from its id', async () => {
    const reply = await call<{ objects: { object_id: string; status: string }[] }>('POST', '/v0/infer/', key, [
      { model: 'qwen-7b', input: 'First object.' },
      { model: 'llama-3.1-8b', input: 'Second object.' },
    ]);
    const [a, b] = reply.body.objects.map((o) => o.object_id);
    const traceOf = (objectId: string) => objectTraceparent(objectId).split('-')[1];
    expect(traceOf(a)).not.toBe(traceOf(b));
    for (const objectId of [a, b]) {
      const spans = await until(`the charge of ${objectId}`, async () => (charged(spansOf(traceOf(objectId))) ? spansOf(traceOf(objectId)) : undefined), 30_000);
      expect([...consumerGroups(spans)].map((g) => g.split(/[-.]/)[0])).toEqual(expect.arrayContaining(['api', 'billing', 'router', 'scheduler']));
      const objectIds = new Set(spans.map((s) => s.attributes['sluice.object.id']).filter(Boolean));
      expect(objectIds).toEqual(new Set([objectId]));
    }
  });
});
