import type { Catalogue } from '@sluice/catalogue';
import { demoApiKeysFrom, resolveProviderEndpoints, unreachableProvidersWarning } from './providers-setup';

const provider = (id: string, baseUrl: string, apiKeyEnv: string) => ({
  id,
  name: id,
  baseUrl,
  apiKeyEnv,
  models: [{ model: 'm', providerModel: 'm' }],
  latency: { ttftMs: 1, perOutputTokenMs: 1, jitterPercent: 0 },
  rateLimits: { rpm: 1, tpm: 1 },
  reliability: 1,
});
const catalogue = {
  models: [],
  providers: [
    provider('demo-a', 'demo://demo-a', 'DEMO_A_KEY'),
    provider('claude', 'https://api.anthropic.com', 'ANTHROPIC_API_KEY'),
    provider('gem', 'https://generativelanguage.googleapis.com', 'GEMINI_API_KEY'),
  ],
} as unknown as Catalogue;
const market = { providers: { 'demo-a': 'http://127.0.0.1:1234/v1' }, apiKeys: { 'demo-a': 'sk-demo-demo-a' } };

describe('resolveProviderEndpoints', () => {
  it('runs demo and real providers side by side: demo:// at the market, the others at their URL with their own key', () => {
    const { endpoints, unreachable } = resolveProviderEndpoints(catalogue, { ANTHROPIC_API_KEY: 'sk-ant-1', GEMINI_API_KEY: 'AIza-2' }, undefined, market);
    expect(endpoints).toEqual({
      'demo-a': { baseUrl: 'http://127.0.0.1:1234/v1', apiKey: 'sk-demo-demo-a' },
      claude: { baseUrl: 'https://api.anthropic.com', apiKey: 'sk-ant-1' },
      gem: { baseUrl: 'https://generativelanguage.googleapis.com', apiKey: 'AIza-2' },
    });
    expect(unreachable).toEqual([]);
  });

  it('names each provider left without an endpoint, and the variable its key should be in, never a key', () => {
    const { endpoints, unreachable } = resolveProviderEndpoints(catalogue, { ANTHROPIC_API_KEY: 'sk-ant-1' });
    expect(Object.keys(endpoints)).toEqual(['claude']);
    const warning = unreachableProvidersWarning(unreachable);
    expect(warning).toBe('these catalogue providers have no endpoint and will not be called: demo-a (demo://, but no demo market runs here), gem (GEMINI_API_KEY is not set)');
    expect(warning).not.toContain('sk-ant-1');
    expect(unreachableProvidersWarning([])).toBeNull();
  });

  it('lets SLUICE_PROVIDER_ENDPOINTS replace some providers and keeps the rest', () => {
    const override = JSON.stringify({ gem: { baseUrl: 'http://10.0.0.1:9000', apiKey: 'k' } });
    const { endpoints } = resolveProviderEndpoints(catalogue, {}, override, market);
    expect(endpoints).toEqual({ 'demo-a': { baseUrl: 'http://127.0.0.1:1234/v1', apiKey: 'sk-demo-demo-a' }, gem: { baseUrl: 'http://10.0.0.1:9000', apiKey: 'k' } });
    expect(() => resolveProviderEndpoints(catalogue, {}, '{nope')).toThrow(/SLUICE_PROVIDER_ENDPOINTS: bad value/);
  });

  it('gives a demo provider the key its apiKeyEnv holds, when set', () => {
    expect(demoApiKeysFrom(catalogue, { DEMO_A_KEY: 'mine', ANTHROPIC_API_KEY: 'x' })).toEqual({ 'demo-a': 'mine' });
  });
});
