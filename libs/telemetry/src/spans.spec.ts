import { SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { batchJobTraceparent, inSpan, objectTraceparent, recordObjectRoots, recordSpans, traceparentOfEvent, withConsumerSpans } from './spans';
import { startTelemetry, type Telemetry } from './telemetry';

const event = (type: string, payload: object, traceparent?: string) => ({ type, eventId: `${type}-1`, correlationId: 'task-1', payload, ...(traceparent ? { traceparent } : {}) });

describe('consumer spans', () => {
  const exporter = new InMemorySpanExporter();
  let telemetry: Telemetry | null;
  beforeAll(() => {
    telemetry = startTelemetry({ serviceName: 'spans-spec', exporter, simple: true });
  });
  afterAll(() => telemetry?.shutdown());
  beforeEach(() => exporter.reset());

  it('derives one W3C trace per object id, stable across processes', () => {
    expect(objectTraceparent('obj-1')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(objectTraceparent('obj-1')).toBe(objectTraceparent('obj-1'));
    expect(objectTraceparent('obj-1')).not.toBe(objectTraceparent('obj-2'));
    expect(traceparentOfEvent(event('ObjectCompleted', { objectId: 'obj-1' }))).toBe(objectTraceparent('obj-1'));
    const carried = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    expect(traceparentOfEvent(event('ObjectCompleted', { objectId: 'obj-1' }, carried))).toBe(carried);
    expect(traceparentOfEvent(event('AccountCreated', { accountId: 'a' }))).toBeUndefined();
  });

  it('opens one span per event in its trace and ends them with the batch', async () => {
    const carried = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await withConsumerSpans('billing-objects', [event('ObjectSubmitted', { objectId: 'obj-1' }, carried), event('FundsReserved', { objectId: 'obj-2' })], async () => undefined);
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(['billing-objects ObjectSubmitted', 'billing-objects FundsReserved']);
    expect(spans[0].spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(spans[0].parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(spans[1].spanContext().traceId).toBe(objectTraceparent('obj-2').split('-')[1]);
    expect(spans[1].attributes).toMatchObject({ 'sluice.object.id': 'obj-2', 'sluice.event.type': 'FundsReserved', 'messaging.consumer.group.name': 'billing-objects' });
  });

  it('marks the spans of a failed batch as errors and rethrows', async () => {
    await expect(withConsumerSpans('api-read-models', [event('ObjectCompleted', { objectId: 'obj-3' })], async () => Promise.reject(new Error('database gone')))).rejects.toThrow('database gone');
    const [span] = exporter.getFinishedSpans();
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'database gone' });
    expect(span.events.map((e) => e.name)).toEqual(['exception']);
  });

  it('exports the root of an object\'s derived trace, with the span id its other spans name as parent', async () => {
    recordObjectRoots(['obj-4']);
    await withConsumerSpans('billing-objects', [event('ObjectSubmitted', { objectId: 'obj-4' })], async () => undefined);
    const [root, consumer] = exporter.getFinishedSpans();
    const [, traceId, spanId] = objectTraceparent('obj-4').split('-');
    expect(root.name).toBe('object submitted');
    expect(root.spanContext()).toMatchObject({ traceId, spanId });
    expect(root.parentSpanContext).toBeUndefined();
    expect(root.attributes['sluice.object.id']).toBe('obj-4');
    expect(consumer.parentSpanContext?.spanId).toBe(spanId);
  });

  it('gives a provider batch job a trace of its own, rooted at its submit span, linked to and from its items', async () => {
    const job = batchJobTraceparent('batch-1');
    await inSpan('provider batch submit p', job, {}, async (span) => recordSpans('provider batch sent', [{ traceparent: objectTraceparent('obj-5'), attributes: {} }], span), { asRoot: true, links: [objectTraceparent('obj-5')] });
    await inSpan('provider batch poll p', job, {}, async () => undefined);
    const [sent, submit, poll] = exporter.getFinishedSpans();
    expect(submit.spanContext().spanId).toBe(job.split('-')[2]);
    expect(submit.parentSpanContext).toBeUndefined();
    expect(submit.links.map((l) => l.context.traceId)).toEqual([objectTraceparent('obj-5').split('-')[1]]);
    expect(poll.parentSpanContext?.spanId).toBe(submit.spanContext().spanId);
    expect(sent.spanContext().traceId).toBe(objectTraceparent('obj-5').split('-')[1]);
    expect(sent.parentSpanContext?.spanId).toBe(objectTraceparent('obj-5').split('-')[2]);
    expect(sent.links.map((l) => l.context.spanId)).toEqual([submit.spanContext().spanId]);
  });

  it('opens no span for a heartbeat (OTEL_TRACE_HEARTBEATS is not set)', async () => {
    let handled = false;
    await withConsumerSpans('api-health', [event('ServiceHeartbeat', { service: 'router' })], async () => {
      handled = true;
    });
    expect(handled).toBe(true);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});
