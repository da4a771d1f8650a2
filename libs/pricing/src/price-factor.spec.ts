import { loadCatalogue, ModelNotFoundError } from '@sluice/catalogue';
import { PRICE_FACTOR_FLOOR, priceFactor } from './price-factor';
import { pricingCatalogue as catalogue, work } from './pricing.fixture';

const tenAm = new Date('2026-03-04T10:00:00.000Z');
const request = (model: string, slaMinutes: number | null, taskItems = 1) => ({
  model,
  slaMinutes,
  taskItems,
  expectedInputTokens: work.inputTokens,
  expectedOutputTokens: work.outputTokens,
});

describe('priceFactor', () => {
  it.each([
    ['no SLA pays the base price', request('r1', null), 1],
    ['60 min, one item: the window term', request('r1', 60), 0.75],
    ['6 h, one item', request('r1', 360), 0.53],
    ['1 day, one item: the window term at its floor', request('r1', 1440), 0.35],
    ['60 min, 1,000 items: volume lowers it', request('r1', 60, 1_000), 0.66],
    ['1 day, 10,000 items: the 0.30 floor', request('r1', 1440, 10_000), 0.3],
    ['1 week, 1,000,000 items: still the 0.30 floor', request('r1', 7 * 1440, 1_000_000), 0.3],
    ['gpt 1 day: never below the 50% batch route plus margin', request('gpt', 1440, 10_000), 0.55],
    ['gpt 60 min: the curve is above the market floor', request('gpt', 60), 0.75],
    ['gpt 5 min: no batch fits, live costs the base price, capped at 1', request('gpt', 5), 1],
    ['an alias prices like its model', request('deepseek:r1', 1440), 0.35],
  ])('%s', (_name, req, expected) => {
    expect(priceFactor(catalogue, req, tenAm)).toBe(expected);
  });

  it('never rises with a longer window or a larger task, and stays within [0.30, 1]', () => {
    for (const model of ['r1', 'gpt']) {
      let previous = 1;
      for (const sla of [1, 5, 15, 30, 60, 120, 240, 720, 1440, 2880]) {
        const byVolume = [1, 10, 100, 1_000, 100_000].map((n) => priceFactor(catalogue, request(model, sla, n), tenAm));
        expect(byVolume).toEqual([...byVolume].sort((a, b) => b - a));
        expect(byVolume[0]).toBeLessThanOrEqual(previous);
        expect(Math.min(...byVolume)).toBeGreaterThanOrEqual(PRICE_FACTOR_FLOOR);
        previous = byVolume[0];
      }
    }
  });

  it('throws model_not_found for an unknown model, even without an SLA', () => {
    expect(() => priceFactor(catalogue, request('nope', null), tenAm)).toThrow(ModelNotFoundError);
  });

  it('on the demo market: openai:gpt-4o reaches the floor over a day (off-peak spot), is held up by the 50% batch route over 6 h', () => {
    const demo = loadCatalogue();
    expect(priceFactor(demo, request('openai:gpt-4o', 1440, 10_000), tenAm)).toBe(0.3);
    expect(priceFactor(demo, request('openai:gpt-4o', 360, 10_000), tenAm)).toBe(0.55);
    expect(priceFactor(demo, request('deepseek:r1-32b', 1440, 10_000), tenAm)).toBe(0.3);
  });
});
