import { loadCatalogue } from '@sluice/catalogue';
import { paramsRefusal, refusedByEvery } from './params-refusal';

const catalogue = loadCatalogue();

describe('parameters a provider API lacks', () => {
  it("names what Anthropic's Messages API lacks, and nothing for an OpenAI-compatible provider", () => {
    expect(paramsRefusal(catalogue, 'anthropic-direct', { seed: 1, presencePenalty: 0.1, temperature: 0.2 })?.params).toEqual(['seed', 'presence_penalty']);
    expect(paramsRefusal(catalogue, 'gemini-direct', { user: 'u' })?.params).toEqual(['user']);
    expect(paramsRefusal(catalogue, 'midway', { seed: 1, user: 'u', responseFormat: { type: 'json_object' } })).toBeNull();
  });

  it('refuses up front only when no candidate can take the parameters', () => {
    expect(refusedByEvery(catalogue, [{ providerId: 'anthropic-direct' }], { seed: 1 })?.message).toBe(
      'anthropic-direct: the anthropic API has no seed; send the request without it or to another provider',
    );
    expect(refusedByEvery(catalogue, [{ providerId: 'anthropic-direct' }, { providerId: 'midway' }], { seed: 1 })).toBeNull();
    expect(refusedByEvery(catalogue, [{ providerId: 'anthropic-direct' }], undefined)).toBeNull();
  });
});
