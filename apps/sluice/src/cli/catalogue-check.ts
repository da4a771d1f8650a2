import { CatalogueInvalidError, loadCatalogue, providerApi, type Catalogue } from '@sluice/catalogue';

export interface CatalogueReport {
  ok: boolean;
  lines: string[];
}

const usd = (microsPerMillion: number) => `$${(microsPerMillion / 1_000_000).toFixed(2)}`;

function summary(catalogue: Catalogue, env: Record<string, string | undefined>): string[] {
  const lines = [`${catalogue.models.length} models, ${catalogue.providers.length} providers`];
  for (const provider of catalogue.providers) {
    const demo = provider.baseUrl.startsWith('demo://');
    const key = demo ? 'demo market' : env[provider.apiKeyEnv] ? `${provider.apiKeyEnv} set` : `${provider.apiKeyEnv} NOT set: left out of routing`;
    const offers = provider.models.map((o) => `${o.model} ${usd(o.price.inputMicrosPerMillion)}/${usd(o.price.outputMicrosPerMillion)}`).join(', ');
    const batch = provider.batch ? `, batch -${provider.batch.discountPercent}%` : '';
    lines.push(`  ${provider.id} (${providerApi(provider)}, ${key}${batch}): ${offers}`);
  }
  return lines;
}

/** `sluice catalogue check <file>`: whether the file is a valid catalogue, what is wrong, and what it offers. */
export function checkCatalogue(file: string, env: Record<string, string | undefined> = process.env): CatalogueReport {
  try {
    return { ok: true, lines: [`${file} is a valid catalogue`, ...summary(loadCatalogue(file), env)] };
  } catch (err) {
    if (err instanceof CatalogueInvalidError) return { ok: false, lines: [`${file} is not a valid catalogue:`, ...err.problems.map((p) => `  ${p}`)] };
    throw err;
  }
}
