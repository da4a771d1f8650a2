import { loadCatalogue, type Catalogue } from '@sluice/catalogue';
import { z } from 'zod';
import { ConfigError } from './config';
import type { ProviderEndpoint } from './service';

const EndpointsJson = z.record(z.string(), z.object({ baseUrl: z.url(), apiKey: z.string().min(1) }));

/** A catalogue provider Sluice will not call, and why. */
export interface UnreachableProvider {
  readonly id: string;
  /** The variable that should hold its key; for a demo:// provider, no demo market serves it. */
  readonly missing: { readonly apiKeyEnv: string } | 'demo_market';
}

export interface ProviderEndpoints {
  readonly endpoints: Record<string, ProviderEndpoint>;
  readonly unreachable: readonly UnreachableProvider[];
}

function parseOverride(overrideJson: string | undefined): Record<string, ProviderEndpoint> {
  if (!overrideJson) return {};
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

/**
 * Where each provider is reached, provider by provider: a `demo://` one at the demo market
 * (when one runs here), any other at its catalogue base URL with the key from the variable
 * its entry names; an entry of the SLUICE_PROVIDER_ENDPOINTS JSON replaces either. Demo and
 * real providers thus run side by side; the ones left without an endpoint are listed.
 */
export function resolveProviderEndpoints(
  catalogue: Catalogue,
  env: Record<string, string | undefined>,
  overrideJson?: string,
  demoMarket?: { readonly providers: Readonly<Record<string, string>>; readonly apiKeys: Readonly<Record<string, string>> },
): ProviderEndpoints {
  const override = parseOverride(overrideJson);
  const endpoints: Record<string, ProviderEndpoint> = {};
  const unreachable: UnreachableProvider[] = [];
  for (const provider of catalogue.providers) {
    const given = override[provider.id];
    const demoUrl = demoMarket?.providers[provider.id];
    const apiKey = env[provider.apiKeyEnv];
    if (given) endpoints[provider.id] = given;
    else if (provider.baseUrl.startsWith('demo://')) {
      if (demoUrl) endpoints[provider.id] = { baseUrl: demoUrl, apiKey: demoMarket.apiKeys[provider.id] };
      else unreachable.push({ id: provider.id, missing: 'demo_market' });
    } else if (apiKey) endpoints[provider.id] = { baseUrl: provider.baseUrl, apiKey };
    else unreachable.push({ id: provider.id, missing: { apiKeyEnv: provider.apiKeyEnv } });
  }
  return { endpoints, unreachable };
}

/** The start-up warning naming each provider that will not be called (null when all are reachable). */
export function unreachableProvidersWarning(unreachable: readonly UnreachableProvider[]): string | null {
  if (unreachable.length === 0) return null;
  const each = unreachable.map((p) => (p.missing === 'demo_market' ? `${p.id} (demo://, but no demo market runs here)` : `${p.id} (${p.missing.apiKeyEnv} is not set)`));
  return `these catalogue providers have no endpoint and will not be called: ${each.join(', ')}`;
}

/** Demo market keys: a demo provider whose `apiKeyEnv` is set accepts that key, as a real one would. */
export function demoApiKeysFrom(catalogue: Catalogue, env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(catalogue.providers.flatMap((p) => (p.baseUrl.startsWith('demo://') && env[p.apiKeyEnv] ? [[p.id, env[p.apiKeyEnv] as string]] : [])));
}

export function loadCatalogueOrFail(path?: string): Catalogue {
  try {
    return loadCatalogue(path);
  } catch (err) {
    throw new ConfigError(`SLUICE_CATALOGUE: ${(err as Error).message}`);
  }
}
