import { ModelNotFoundError } from '@sluice/catalogue';
import { cheapestFeasibleOption, fastestLiveOption, feasibleOptions } from './cheapest-option';
import { pricingCatalogue as catalogue, work } from './pricing.fixture';

const at = (iso: string) => new Date(iso);
const tenAm = at('2026-03-04T10:00:00.000Z');
const minutesAfter = (from: Date, minutes: number) => new Date(from.getTime() + minutes * 60_000);

describe('cheapestFeasibleOption', () => {
  it.each([
    ['30 min: only live fits, the cheapest live provider now', 30, { mode: 'live', providerId: 'slow', runAt: tenAm, providerCostMicros: 750, window: null }],
    ['2 h: a provider batch job whose turnaround fits', 120, { mode: 'provider_batch', providerId: 'slow', runAt: tenAm, providerCostMicros: 375, window: null }],
    ['24 h: wait for the off-peak window', 24 * 60, { mode: 'live', providerId: 'spot', runAt: at('2026-03-04T16:30:00.000Z'), providerCostMicros: 275, window: 'off-peak' }],
  ])('%s', (_name, slaMinutes, expected) => {
    expect(cheapestFeasibleOption(catalogue, 'r1', work, tenAm, minutesAfter(tenAm, slaMinutes))).toMatchObject(expected);
  });

  it('skips a cheaper window that starts before the deadline but would finish after it', () => {
    const deadline = at('2026-03-04T16:30:05.000Z');
    expect(cheapestFeasibleOption(catalogue, 'r1', work, tenAm, deadline)).toMatchObject({ mode: 'provider_batch', providerId: 'slow' });
  });

  it('runs live in the window at once when the window is already open', () => {
    const evening = at('2026-03-04T20:00:00.000Z');
    expect(cheapestFeasibleOption(catalogue, 'r1', work, evening, minutesAfter(evening, 600))).toMatchObject({
      mode: 'live',
      providerId: 'spot',
      runAt: evening,
      window: 'off-peak',
    });
  });

  it('finds a window that wraps midnight on the next day', () => {
    const afterWindow = at('2026-03-04T01:00:00.000Z');
    expect(cheapestFeasibleOption(catalogue, 'r1', work, afterWindow, minutesAfter(afterWindow, 24 * 60))).toMatchObject({
      providerId: 'spot',
      runAt: at('2026-03-04T16:30:00.000Z'),
    });
  });

  it('leaves out the providers to avoid', () => {
    const option = cheapestFeasibleOption(catalogue, 'r1', work, tenAm, minutesAfter(tenAm, 24 * 60), { avoidProviders: ['spot'] });
    expect(option).toMatchObject({ mode: 'provider_batch', providerId: 'slow' });
  });

  it('keeps headroom with a safety factor on the batch turnaround', () => {
    const deadline = minutesAfter(tenAm, 90);
    expect(cheapestFeasibleOption(catalogue, 'r1', work, tenAm, deadline)?.mode).toBe('provider_batch');
    expect(cheapestFeasibleOption(catalogue, 'r1', work, tenAm, deadline, { safetyFactor: 2 })?.mode).toBe('live');
  });

  it('is null when nothing can finish in time', () => {
    expect(cheapestFeasibleOption(catalogue, 'r1', work, tenAm, new Date(tenAm.getTime() + 10))).toBeNull();
  });

  it('throws model_not_found for an unknown model', () => {
    expect(() => cheapestFeasibleOption(catalogue, 'nope', work, tenAm, minutesAfter(tenAm, 60))).toThrow(ModelNotFoundError);
  });

  it('lists every feasible option cheapest first', () => {
    const costs = feasibleOptions(catalogue, 'r1', work, tenAm, minutesAfter(tenAm, 120)).map((o) => o.providerCostMicros);
    expect(costs).toEqual([...costs].sort((a, b) => a - b));
    expect(costs[0]).toBe(375);
  });
});

describe('fastestLiveOption', () => {
  it('picks the provider with the lowest expected latency, whatever it costs', () => {
    expect(fastestLiveOption(catalogue, 'r1', work, tenAm)).toMatchObject({ providerId: 'fast', providerCostMicros: 1_590 });
  });

  it('skips avoided providers and is null when none is left', () => {
    expect(fastestLiveOption(catalogue, 'r1', work, tenAm, { avoidProviders: ['fast'] })?.providerId).toBe('spot');
    expect(fastestLiveOption(catalogue, 'gpt', work, tenAm, { avoidProviders: ['fast', 'direct'] })).toBeNull();
  });
});
