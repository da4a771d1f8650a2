import { loadCatalogue, type Catalogue } from '@sluice/catalogue';
import { z } from 'zod';
import { ConfigError } from './config';
import type { ProviderEndpoint } from './service';

const EndpointsJson = z.record(z.string(), z.object({ baseUrl: z.url(), apiKey: z.string().min(1) }));

/**
 * Where each provider is reached: the JSON override if given, else the catalogue's base URL
 * with the key from the variable the catalogue names. A `demo://` provider has no endpoint
 * until a demo market serves it.
 */
export function providerEndpointsFrom(
  catalogue: Catalogue,
  env: Record<string, string | undefined>,
  overrideJson?: string,
): Record<string, ProviderEndpoint> {
  if (overrideJson) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(overrideJson);
    } catch {
      throw new ConfigError('SLUICE_PROVIDER_ENDPOINTS: bad value (not JSON)');
    }
    const result = EndpointsJson.safeParse(parsed);
    if (!result.success) throw new ConfigError(`SLUICE_PROVIDER_ENDPOINTS: bad value (${result.error.issues[0]?.message})`);
    return result.data;
  }
  const endpoints: Record<string, ProviderEndpoint> = {};
  for (const provider of catalogue.providers) {
    const apiKey = env[provider.apiKeyEnv];
    if (!provider.baseUrl.startsWith('demo://') && apiKey) endpoints[provider.id] = { baseUrl: provider.baseUrl, apiKey };
  }
  return endpoints;
}

export function loadCatalogueOrFail(path?: string): Catalogue {
  try {
    return loadCatalogue(path);
  } catch (err) {
    throw new ConfigError(`SLUICE_CATALOGUE: ${(err as Error).message}`);
  }
}
