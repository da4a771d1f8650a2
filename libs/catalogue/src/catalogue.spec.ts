import {
  ModelNotFoundError,
  ModelNotServedError,
  basePrice,
  findProvider,
  providerBatchPrice,
  providerPriceAt,
  providersFor,
  resolveBaseUrl,
  resolveModel,
  tokenCostMicros,
} from './catalogue';
import { loadCatalogue } from './load-catalogue';

const catalogue = loadCatalogue();
const tidal = findProvider(catalogue, 'tidal');
const utc = (hhmm: string) => new Date(`2025-03-04T${hhmm}:00Z`);

describe('resolveModel', () => {
  it('finds a model by id, by alias and regardless of case', () => {
    expect(resolveModel(catalogue, 'deepseek:r1-32b').id).toBe('deepseek:r1-32b');
    expect(resolveModel(catalogue, 'meta-llama/llama-3.1-8b-instruct').id).toBe('llama-3.1-8b');
    expect(resolveModel(catalogue, 'GPT-4o-Mini').id).toBe('openai:gpt-4o-mini');
  });

  it('throws model_not_found for an unknown name', () => {
    expect(() => resolveModel(catalogue, 'gpt-5')).toThrow(ModelNotFoundError);
  });
});

describe('providersFor', () => {
  it('lists every provider serving the model with its provider-specific id', () => {
    const offers = providersFor(catalogue, 'gpt-4o').map(({ provider, offer }) => [provider.id, offer.providerModel]);
    expect(offers).toEqual([
      ['swift', 'gpt-4o'],
      ['midway', 'openai/gpt-4o'],
      ['tidal', 'gpt-4o'],
      ['openai-direct', 'gpt-4o-2024-08-06'],
    ]);
  });
});

describe('basePrice', () => {
  it('is the published price per million tokens in micro-dollars', () => {
    expect(basePrice(catalogue, 'gpt-4o')).toEqual({ inputMicrosPerMillion: 2_500_000, outputMicrosPerMillion: 10_000_000 });
  });
});

describe('providerPriceAt', () => {
  it('applies the model-specific off-peak discount, across midnight', () => {
    expect(providerPriceAt(tidal, 'deepseek:r1-32b', utc('23:59'))).toEqual({
      inputMicrosPerMillion: 112_500,
      outputMicrosPerMillion: 325_000,
      window: 'off-peak',
    });
    expect(providerPriceAt(tidal, 'deepseek:r1-32b', utc('00:29')).window).toBe('off-peak');
  });

  it('falls back to the provider schedule for models without their own', () => {
    expect(providerPriceAt(tidal, 'llama-3.1-8b', utc('17:00'))).toMatchObject({ inputMicrosPerMillion: 55_000, window: 'off-peak' });
    expect(providerPriceAt(tidal, 'llama-3.1-8b', utc('10:00'))).toMatchObject({ inputMicrosPerMillion: 137_500, window: 'peak' });
  });

  it('charges list price outside every window (window end is exclusive)', () => {
    expect(providerPriceAt(tidal, 'llama-3.1-8b', utc('00:30'))).toEqual({
      inputMicrosPerMillion: 110_000,
      outputMicrosPerMillion: 110_000,
      window: null,
    });
  });

  it('is flat for a provider without a schedule', () => {
    const swift = findProvider(catalogue, 'swift');
    expect(providerPriceAt(swift, 'openai:gpt-4o', utc('03:00'))).toEqual(providerPriceAt(swift, 'openai:gpt-4o', utc('18:00')));
  });

  it('refuses a model the provider does not serve', () => {
    expect(() => providerPriceAt(tidal, 'qwen-7b', utc('10:00'))).toThrow(ModelNotServedError);
  });
});

describe('providerBatchPrice', () => {
  it('takes the batch discount off the list price, and is null without a batch API', () => {
    expect(providerBatchPrice(findProvider(catalogue, 'openai-direct'), 'openai:gpt-4o')).toEqual({
      inputMicrosPerMillion: 1_250_000,
      outputMicrosPerMillion: 5_000_000,
    });
    expect(providerBatchPrice(findProvider(catalogue, 'swift'), 'openai:gpt-4o')).toBeNull();
  });
});

describe('tokenCostMicros', () => {
  it('rounds a fraction of a micro-dollar up', () => {
    expect(tokenCostMicros({ inputMicrosPerMillion: 2_500_000, outputMicrosPerMillion: 10_000_000 }, 24, 118)).toBe(1_240);
    expect(tokenCostMicros({ inputMicrosPerMillion: 60_000, outputMicrosPerMillion: 60_000 }, 10, 0)).toBe(1);
  });
});

describe('resolveBaseUrl', () => {
  it('maps demo:// to the demo market and keeps real URLs', () => {
    expect(resolveBaseUrl(tidal, { tidal: 'http://127.0.0.1:4100/v1' })).toBe('http://127.0.0.1:4100/v1');
    expect(resolveBaseUrl({ ...tidal, baseUrl: 'https://api.example.com/v1' })).toBe('https://api.example.com/v1');
    expect(() => resolveBaseUrl(tidal, {})).toThrow(/tidal/);
  });
});
