import { parseCatalogue, type Catalogue } from '@sluice/catalogue';

const latency = (ttftMs: number, perOutputTokenMs: number) => ({ ttftMs, perOutputTokenMs, jitterPercent: 0 });
const limits = { rpm: 600, tpm: 1_000_000 };
const price = (inputMicrosPerMillion: number, outputMicrosPerMillion: number) => ({ inputMicrosPerMillion, outputMicrosPerMillion });

/**
 * A small market whose costs are easy to check by hand, for 1,000 input and 500 output tokens:
 * r1 — fast 1,590; spot 1,375 at peak (08:00–16:30), 1,100 at list, 275 off-peak (16:30–00:30,
 * 10.45 s latency); slow 750 live (23.7 s), 375 in a batch job (1 h turnaround); base 1,700.
 * gpt — fast 7,250; direct 7,500 live, 3,750 in a batch job (10 min turnaround); base 7,500.
 */
export const pricingCatalogue: Catalogue = parseCatalogue({
  models: [
    { id: 'r1', aliases: ['deepseek:r1'], contextTokens: 100_000, maxOutputTokens: 8_000, tokenizer: 'cl100k_base', basePrice: price(700_000, 2_000_000) },
    { id: 'gpt', contextTokens: 100_000, maxOutputTokens: 8_000, tokenizer: 'o200k_base', basePrice: price(2_500_000, 10_000_000) },
  ],
  providers: [
    {
      id: 'fast', name: 'Fast', baseUrl: 'demo://fast', apiKeyEnv: 'FAST_KEY', latency: latency(35, 3), rateLimits: limits, reliability: 0.99,
      models: [
        { model: 'r1', providerModel: 'r1', price: price(690_000, 1_800_000) },
        { model: 'gpt', providerModel: 'gpt', price: price(2_750_000, 9_000_000) },
      ],
    },
    {
      id: 'spot', name: 'Spot', baseUrl: 'demo://spot', apiKeyEnv: 'SPOT_KEY', latency: latency(450, 20), rateLimits: limits, reliability: 0.98,
      models: [{ model: 'r1', providerModel: 'r1', price: price(450_000, 1_300_000) }],
      priceSchedule: [
        { label: 'peak', fromUtc: '08:00', toUtc: '16:30', multiplierPercent: 125 },
        { label: 'off-peak', fromUtc: '16:30', toUtc: '00:30', multiplierPercent: 25 },
      ],
    },
    {
      id: 'slow', name: 'Slow', baseUrl: 'demo://slow', apiKeyEnv: 'SLOW_KEY', latency: latency(1200, 45), rateLimits: limits, reliability: 0.97,
      models: [{ model: 'r1', providerModel: 'r1', price: price(300_000, 900_000) }],
      batch: { discountPercent: 50, turnaroundSeconds: 3600 },
    },
    {
      id: 'direct', name: 'Direct', baseUrl: 'demo://direct', apiKeyEnv: 'DIRECT_KEY', latency: latency(400, 12), rateLimits: limits, reliability: 0.995,
      models: [{ model: 'gpt', providerModel: 'gpt', price: price(2_500_000, 10_000_000) }],
      batch: { discountPercent: 50, turnaroundSeconds: 600 },
    },
  ],
});

export const work = { inputTokens: 1_000, outputTokens: 500 };
