import { parseCatalogue } from '@sluice/catalogue';
import type { Pricing } from '@sluice/events';
import { UnpricedModelError, applyMarkup, applyPriceFactor, customerPriceMicros, reservationMicros } from './customer-price';

const price = (input: number, output: number) => ({ inputMicrosPerMillion: input, outputMicrosPerMillion: output });
const catalogue = parseCatalogue({
  models: [
    { id: 'm', contextTokens: 1000, maxOutputTokens: 100, tokenizer: 'cl100k_base', basePrice: price(1_000_000, 2_000_000) },
    { id: 'orphan', contextTokens: 1000, maxOutputTokens: 100, tokenizer: 'cl100k_base', basePrice: price(1_000_000, 1_000_000) },
  ],
  providers: [
    {
      id: 'cheap',
      name: 'Cheap',
      baseUrl: 'demo://cheap',
      apiKeyEnv: 'CHEAP_KEY',
      models: [{ model: 'm', providerModel: 'm', price: price(1_000_000, 1_000_000) }],
      latency: { ttftMs: 1, perOutputTokenMs: 1 },
      rateLimits: { rpm: 1, tpm: 1 },
      reliability: 1,
      // Peak hours cost three times the list price.
      priceSchedule: [{ label: 'peak', fromUtc: '09:00', toUtc: '17:00', multiplierPercent: 300 }],
    },
    {
      id: 'dear',
      name: 'Dear',
      baseUrl: 'demo://dear',
      apiKeyEnv: 'DEAR_KEY',
      models: [{ model: 'm', providerModel: 'm', price: price(2_000_000, 2_000_000) }],
      latency: { ttftMs: 1, perOutputTokenMs: 1 },
      rateLimits: { rpm: 1, tpm: 1 },
      reliability: 1,
      priceSchedule: [{ label: 'night', fromUtc: '00:00', toUtc: '06:00', multiplierPercent: 50 }],
    },
  ],
});

describe('price arithmetic', () => {
  it.each([
    { amount: 100, factor: 0.3, expected: 30 },
    { amount: 13, factor: 0.3, expected: 4 },
    { amount: 10, factor: 1, expected: 10 },
    { amount: 0, factor: 0.5, expected: 0 },
    { amount: 3, factor: 0.35, expected: 2 },
  ])('applyPriceFactor($amount, $factor) = $expected', ({ amount, factor, expected }) => {
    expect(applyPriceFactor(amount, factor)).toBe(expected);
  });

  it.each([
    { amount: 100, bps: 0, expected: 100 },
    { amount: 100, bps: 1_000, expected: 110 },
    { amount: 101, bps: 1_500, expected: 117 },
    { amount: 1, bps: 1, expected: 2 },
  ])('applyMarkup($amount, $bps bps) = $expected', ({ amount, bps, expected }) => {
    expect(applyMarkup(amount, bps)).toBe(expected);
  });

  it('keeps integers exact for large amounts', () => {
    expect(applyPriceFactor(9_000_000_000_001, 0.3)).toBe(2_700_000_000_001);
  });
});

describe('customerPriceMicros', () => {
  const usage = { inputTokens: 1_000, outputTokens: 500, providerCostMicros: 777 };

  it('SLA: base price × factor on actual tokens, whatever the provider cost', () => {
    const sla: Pricing = { kind: 'sla', basePrice: price(1_000_000, 2_000_000), priceFactor: 0.4 };
    expect(customerPriceMicros(sla, usage)).toBe(800); // (1,000 + 1,000) × 0.4
  });

  it('real-time: provider cost plus markup', () => {
    expect(customerPriceMicros({ kind: 'realtime', markupBps: 500 }, usage)).toBe(816); // 777 × 1.05 = 815.85
  });
});

describe('reservationMicros', () => {
  const request = { model: 'm', inputTokens: 1_000, maxOutputTokens: 100 };

  it('SLA: the factor on the base price with every output token the object may produce', () => {
    const pricing: Pricing = { kind: 'sla', basePrice: price(1_000_000, 2_000_000), priceFactor: 0.5 };
    expect(reservationMicros({ ...request, pricing }, catalogue)).toBe(600); // (1,000 + 200) × 0.5
  });

  it('real-time: the dearest provider at its dearest window, plus markup', () => {
    // cheap at peak: 3 µ$/token × 1,100 tokens = 3,300 µ$ beats dear's 2,200 µ$; + 10%.
    expect(reservationMicros({ ...request, pricing: { kind: 'realtime', markupBps: 1_000 } }, catalogue)).toBe(3_630);
  });

  it('real-time: never above the customer’s price cap', () => {
    const routing = { profile: 'balanced', strategy: 'lowest_cost', maxPriceMicros: 1_000 } as const;
    expect(reservationMicros({ ...request, pricing: { kind: 'realtime', markupBps: 1_000 }, routing }, catalogue)).toBe(1_000);
  });

  it('real-time: a model no provider serves is bounded by the cap, or not at all', () => {
    const pricing: Pricing = { kind: 'realtime', markupBps: 0 };
    const routing = { profile: 'balanced', strategy: 'lowest_cost', maxPriceMicros: 50 } as const;
    expect(reservationMicros({ ...request, model: 'orphan', pricing, routing }, catalogue)).toBe(50);
    expect(() => reservationMicros({ ...request, model: 'orphan', pricing }, catalogue)).toThrow(UnpricedModelError);
  });
});
