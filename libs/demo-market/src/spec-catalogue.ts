import type { DemoMarketCatalogue } from './demo-market.types';

/** The catalogue the demo market's specs run on: two demo providers (one with a batch API) and a real one it must not serve. */
export const catalogue: DemoMarketCatalogue = {
  models: [{ id: 'llama-3.1-8b', tokenizer: 'cl100k_base', contextTokens: 4096, maxOutputTokens: 512 }],
  providers: [
    {
      id: 'slowbatch',
      baseUrl: 'demo://slowbatch',
      models: [{ model: 'llama-3.1-8b', providerModel: 'meta-llama/Meta-Llama-3.1-8B-Instruct' }],
      latency: { ttftMs: 150, perOutputTokenMs: 1, jitterPercent: 0 },
      rateLimits: { rpm: 2 },
      reliability: 0.9,
      batch: { turnaroundSeconds: 100 },
    },
    {
      id: 'quick',
      baseUrl: 'demo://quick',
      models: [{ model: 'llama-3.1-8b', providerModel: 'llama3.1-8b' }],
      latency: { ttftMs: 30, perOutputTokenMs: 1, jitterPercent: 10 },
      rateLimits: { rpm: 1000 },
      reliability: 0.99,
    },
    {
      id: 'real-one',
      baseUrl: 'https://api.example.com/v1',
      models: [{ model: 'llama-3.1-8b', providerModel: 'llama' }],
      latency: { ttftMs: 30, perOutputTokenMs: 1, jitterPercent: 10 },
      rateLimits: { rpm: 1000 },
      reliability: 0.99,
    },
  ],
};
