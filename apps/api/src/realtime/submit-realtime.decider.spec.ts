import { loadCatalogue, providersFor } from '@sluice/catalogue';
import type { EventOf } from '@sluice/events';
import { UnknownModelError, ValidationError } from '../errors/api-error';
import { RealtimeRequestSchema } from './realtime-request';
import { realtimeReservationMicros, submitRealtime, usdToMicros, withMarkup } from './submit-realtime.decider';

const catalogue = loadCatalogue();
const now = new Date('2030-01-01T00:00:00.000Z');
let n = 0;
const ctx = { catalogue, accountId: 'acct-1', markupBps: 1_000, now, newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}` };
const request = (body: Record<string, unknown>) => RealtimeRequestSchema.parse({ model: 'qwen2.5-7b-instruct', input: 'hello', max_output_tokens: 64, ...body });

describe('submitRealtime', () => {
  it('given an alias and caps, when submitted, then one task with a real-time object carrying routing, pricing and the customer fields', () => {
    const submission = submitRealtime(request({ performance_profile: 'economy', max_price_usd: 0.02, max_latency_ms: 800, customer_ref: 'r', metadata: { a: 1 } }), ctx);
    expect(submission.events.map((e) => e.type)).toEqual(['TaskSubmitted', 'ObjectSubmitted']);
    const object = submission.events[1] as EventOf<'ObjectSubmitted'>;
    expect(object.payload).toMatchObject({
      objectId: submission.objectId, taskId: submission.taskId, model: 'qwen-7b', maxOutputTokens: 64, slaMinutes: null,
      deadlineAt: '2030-01-01T00:01:00.000Z', pricing: { kind: 'realtime', markupBps: 1_000 },
      routing: { profile: 'economy', strategy: 'lowest_cost', maxPriceMicros: 20_000, maxLatencyMs: 800 }, customerRef: 'r', metadata: { a: 1 },
    });
    expect(object.correlationId).toBe(submission.taskId);
  });

  it.each([
    ['an unknown model', { model: 'nope' }, UnknownModelError],
    ['max_output_tokens over the model cap', { max_output_tokens: 8_193 }, ValidationError],
    ['an input that leaves no room in the context', { input: 'word '.repeat(30_000), max_output_tokens: 8_192 }, ValidationError],
  ])('given %s, then it throws and builds nothing', (_, body, error) => {
    expect(() => submitRealtime(request(body), ctx)).toThrow(error);
  });

  it('bounds the reservation by the dearest provider plus markup, and by the price cap', () => {
    const submission = submitRealtime(request({}), ctx);
    const inputTokens = (submission.events[1] as EventOf<'ObjectSubmitted'>).payload.inputTokens;
    const dearest = Math.ceil(((inputTokens + 64) * 180_000) / 1_000_000);
    expect(submission.reservationMicros).toBe(withMarkup(dearest, 1_000));
    expect(realtimeReservationMicros(providersFor(catalogue, 'qwen-7b'), inputTokens, 64, 1_000, 3)).toBe(3);
  });
});

describe('money at the edge', () => {
  it.each([
    [100, 1_000, 110],
    [101, 1_000, 112],
    [0, 1_000, 0],
  ])('withMarkup(%i, %i bps) = %i (rounded up)', (amount, bps, expected) => {
    expect(withMarkup(amount, bps)).toBe(expected);
  });

  it.each([
    [0.02, 20_000],
    [0.000041, 41],
    [0.0000015, 1],
  ])('usdToMicros(%f) = %i (never above the cap)', (usd, micros) => {
    expect(usdToMicros(usd)).toBe(micros);
  });
});
