import { loadCatalogue } from '@sluice/catalogue';
import type { EventOf } from '@sluice/events';
import { applyMarkup } from '@sluice/pricing';
import type { Quote } from '@sluice/routing';
import { UnknownModelError, ValidationError } from '../errors/api-error';
import { RealtimeRequestSchema } from './realtime-request';
import { fromInferenceRequest, planRealtime, realtimeEvents, servedCharge, usdToMicros } from './submit-realtime.decider';

const catalogue = loadCatalogue();
const now = new Date('2030-01-01T00:00:00.000Z');
let n = 0;
const newId = () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
const ctx = { catalogue, accountId: 'acct-1', markupBps: 1_000, newId };
const request = (body: Record<string, unknown>) => fromInferenceRequest(RealtimeRequestSchema.parse({ model: 'qwen2.5-7b-instruct', input: 'hello', max_output_tokens: 64, ...body }));
const quote: Quote = {
  providerId: 'midway', providerModel: 'Qwen/Qwen2.5-7B-Instruct', price: { inputMicrosPerMillion: 100_000, outputMicrosPerMillion: 150_000 },
  estimatedLatencyMs: 500, reliability: 0.99, degraded: false, estimatedProviderCostMicros: 12, estimatedCustomerPriceMicros: 14, avoided: false,
};
const result = { text: 'routed answer', inputTokens: 500_000, outputTokens: 20, latencyMs: 40, finishReason: 'stop' };

describe('planRealtime', () => {
  it('refuses parameters the events could not record, before anything runs', () => {
    expect(() => planRealtime({ ...request({}), params: { user: '' } }, ctx)).toThrow(ValidationError);
  });

  it('carries the generation parameters of /v1/inference to the provider call and the event', () => {
    const plan = planRealtime(request({ temperature: 0.4, stop: ['x', 'y'], frequency_penalty: 1 }), ctx);
    expect(plan.params).toEqual({ temperature: 0.4, stop: ['x', 'y'], frequencyPenalty: 1 });
    const [submitted] = realtimeEvents(plan, { kind: 'served', quote, result }, { now: () => now, newId });
    expect(submitted.payload).toMatchObject({ params: { temperature: 0.4, stop: ['x', 'y'], frequencyPenalty: 1 } });
  });

  it('given an alias and caps, then a plan with routing, pricing and the customer fields, bounded as billing reserves', () => {
    const plan = planRealtime(request({ performance_profile: 'economy', max_price_usd: 0.02, max_latency_ms: 800, customer_ref: 'r', metadata: { a: 1 } }), ctx);
    expect(plan).toMatchObject({
      accountId: 'acct-1', modelId: 'qwen-7b', prompt: 'hello', maxOutputTokens: 64, pricing: { kind: 'realtime', markupBps: 1_000 },
      routing: { profile: 'economy', strategy: 'lowest_cost', maxPriceMicros: 20_000, maxLatencyMs: 800 }, customerRef: 'r', metadata: { a: 1 },
    });
    const dearest = Math.ceil(((plan.inputTokens + 64) * 180_000) / 1_000_000);
    expect(plan.reservationMicros).toBe(applyMarkup(dearest, 1_000));
    expect(planRealtime(request({ max_price_usd: 0.000003 }), ctx).reservationMicros).toBe(3);
  });

  it.each([
    ['an unknown model', { model: 'nope' }, UnknownModelError],
    ['max_output_tokens over the model cap', { max_output_tokens: 8_193 }, ValidationError],
    ['an input that leaves no room in the context', { input: 'word '.repeat(30_000), max_output_tokens: 8_192 }, ValidationError],
  ])('given %s, then it throws', (_, body, error) => {
    expect(() => planRealtime(request(body), ctx)).toThrow(error);
  });
});

describe('realtimeEvents', () => {
  const deps = { now: () => now, newId };

  it('given a served request, then its whole story in one append, marked as served by the gateway, on the provider-reported usage', () => {
    const plan = planRealtime(request({ customer_ref: 'r' }), ctx);
    const events = realtimeEvents(plan, { kind: 'served', quote, result }, deps);
    expect(events.map((e) => e.type)).toEqual(['ObjectSubmitted', 'QuoteAccepted', 'ObjectCompleted']);
    expect(new Set(events.map((e) => e.correlationId))).toEqual(new Set([plan.objectId]));
    const submitted = events[0] as EventOf<'ObjectSubmitted'>;
    expect(submitted.payload).toMatchObject({ objectId: plan.objectId, taskId: plan.objectId, gateway: true, slaMinutes: null, deadlineAt: '2030-01-01T00:01:00.000Z', customerRef: 'r' });
    const completed = events[2] as EventOf<'ObjectCompleted'>;
    // The provider reported 500,000 prompt tokens: that, not our count of "hello", is what is priced.
    expect(completed.payload).toMatchObject({ providerId: 'midway', inputTokens: 500_000, outputTokens: 20, providerCostMicros: 50_003 });
  });

  it('caps the charge at the bound that was held', () => {
    const plan = planRealtime(request({}), ctx);
    expect(servedCharge(plan, quote, result)).toEqual({ providerCostMicros: 50_003, chargeMicros: plan.reservationMicros });
    const small = { ...result, inputTokens: 10 };
    expect(servedCharge(plan, quote, small)).toEqual({ providerCostMicros: 4, chargeMicros: applyMarkup(4, 1_000) });
  });

  it('given a failed request, then it fails and is abandoned (billing releases, nothing is charged)', () => {
    const plan = planRealtime(request({}), ctx);
    const events = realtimeEvents(plan, { kind: 'failed', quote, code: 'all_providers_failed', message: 'x' }, deps);
    expect(events.map((e) => e.type)).toEqual(['ObjectSubmitted', 'QuoteAccepted', 'ObjectFailed', 'ObjectAbandoned']);
    expect((events[3] as EventOf<'ObjectAbandoned'>).payload).toMatchObject({ objectId: plan.objectId, code: 'all_providers_failed' });
  });
});

describe('money at the edge', () => {
  it.each([
    [0.02, 20_000],
    [0.000041, 41],
    [0.0000015, 1],
  ])('usdToMicros(%f) = %i (never above the cap)', (usd, micros) => {
    expect(usdToMicros(usd)).toBe(micros);
  });
});
