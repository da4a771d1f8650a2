import { loadCatalogue } from '@sluice/catalogue';
import type { Pricing } from '@sluice/events';
import { BATCH_MAX_WAIT_MS, SLA_RETRY_CAP_MS, planObject, retryDelayMs, slaRetryDelayMs, type PlanInput } from './plan.planner';

const catalogue = loadCatalogue();
const tenAm = new Date('2026-03-04T10:00:00.000Z');
const after = (ms: number) => new Date(tenAm.getTime() + ms);
const MIN = 60_000;
const sla: Pricing = { kind: 'sla', basePrice: { inputMicrosPerMillion: 700_000, outputMicrosPerMillion: 2_000_000 }, priceFactor: 0.5 };

const input = (model: string, slaMinutes: number | null, extra: Partial<PlanInput> = {}): PlanInput => ({
  model,
  inputTokens: 1_000,
  outputTokens: 500,
  slaMinutes,
  deadlineAt: after((slaMinutes ?? 5) * MIN),
  pricing: sla,
  avoidProviders: [],
  ...extra,
});

describe('planObject on the demo market at 10:00 UTC', () => {
  it.each([
    ['no SLA: live at once, never escalated', input('deepseek:r1-32b', null), { mode: 'live', runAt: tenAm, escalateAt: null, escalated: false }],
    [
      'real-time: live at once',
      input('openai:gpt-4o', null, { pricing: { kind: 'realtime', markupBps: 500 } }),
      { mode: 'live', runAt: tenAm, escalateAt: null, escalated: false },
    ],
    [
      '3 min: no batch job fits before the escalation reserve, the cheapest live provider now',
      input('deepseek:r1-32b', 3),
      { mode: 'live', providerId: 'bargain', runAt: tenAm, estimatedProviderCostMicros: 500, escalateAt: after(2 * MIN) },
    ],
    [
      '60 min gpt-4o: the 50% batch job, flushed within the batch wait',
      input('openai:gpt-4o', 60),
      { mode: 'provider_batch', providerId: 'openai-direct', runAt: after(BATCH_MAX_WAIT_MS), estimatedProviderCostMicros: 3_750, escalateAt: after(59 * MIN) },
    ],
    [
      '24 h r1: the cheapest route is the 50% batch job',
      input('deepseek:r1-32b', 1440),
      { mode: 'provider_batch', providerId: 'bargain', estimatedProviderCostMicros: 250 },
    ],
    [
      '24 h r1 with bargain avoided: wait for the off-peak spot window',
      input('deepseek:r1-32b', 1440, { avoidProviders: ['bargain'] }),
      { mode: 'live', providerId: 'tidal', runAt: new Date('2026-03-04T16:30:00.000Z'), estimatedProviderCostMicros: 275 },
    ],
    [
      'deadline 30 s away: nothing fits the reserve, the fastest live provider now, escalated',
      input('deepseek:r1-32b', 1, { deadlineAt: after(30_000) }),
      { mode: 'live', providerId: 'swift', runAt: tenAm, escalated: true, escalateAt: null },
    ],
  ])('%s', (_name, given, expected) => {
    expect(planObject(catalogue, given, tenAm)).toMatchObject(expected);
  });

  it('flushes a batch job early enough for its turnaround when the window is short', () => {
    const plan = planObject(catalogue, input('openai:gpt-4o', 16), tenAm);
    expect(plan.mode).toBe('provider_batch');
    // escalation at 15 min, minus 600 s × 1.25 turnaround: flushed by 2.5 min, before the 5 min wait.
    expect(plan.runAt).toEqual(after(2.5 * MIN));
  });
});

describe('retryDelayMs', () => {
  it.each([
    [1, undefined, 2_000],
    [3, undefined, 8_000],
    [1, 30_000, 30_000],
    [20, undefined, 120_000],
  ])('attempt %p, provider asked %p ms → %p ms', (attempt, retryAfterMs, expected) => {
    expect(retryDelayMs(attempt, retryAfterMs)).toBe(expected);
  });
});

describe('slaRetryDelayMs: capped exponential backoff with jitter', () => {
  it('doubles from 2 s, stops at the cap, spreads by at most a fifth either way, and never undercuts Retry-After', () => {
    expect(slaRetryDelayMs(1, 0.5)).toBe(2_000);
    expect(slaRetryDelayMs(4, 0.5)).toBe(16_000);
    expect(slaRetryDelayMs(60, 0.5)).toBe(SLA_RETRY_CAP_MS);
    expect(slaRetryDelayMs(60, 0)).toBe(SLA_RETRY_CAP_MS * 0.8);
    expect(slaRetryDelayMs(60, 0.999_999)).toBeLessThanOrEqual(SLA_RETRY_CAP_MS * 1.2);
    expect(slaRetryDelayMs(1, 0.5, 45_000)).toBe(45_000);
  });
});
