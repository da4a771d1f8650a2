import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { z } from 'zod';
import { type Catalogue, catalogueSchema } from './catalogue.schema';

// Three folders up is the repository root, or dist/ when the services run compiled (tools/build.cjs).
const above = resolve(__dirname, '..', '..', '..');

/** The catalogue that ships with the product, served by the demo market. */
export const demoCataloguePath = resolve(basename(above) === 'dist' ? dirname(above) : above, 'config', 'catalogue.demo.json');

export class CatalogueInvalidError extends Error {
  readonly code = 'catalogue_invalid';

  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`catalogue ${source} is invalid:\n  ${problems.join('\n  ')}`);
    this.name = 'CatalogueInvalidError';
  }
}

/** `providers[1].models[0].price` — the path an operator looks for in the JSON file. */
export function formatJsonPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`))
    .join('');
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => `${formatJsonPath(issue.path)}: ${issue.message}`);
}

export function parseCatalogue(raw: unknown, source = 'catalogue'): Catalogue {
  const result = catalogueSchema.safeParse(raw);
  if (!result.success) throw new CatalogueInvalidError(source, describeIssues(result.error.issues));
  return result.data;
}

export function loadCatalogue(filePath: string = demoCataloguePath): Catalogue {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(filePath, 'utf8'));
  } catch (err) {
    throw new CatalogueInvalidError(filePath, [(err as Error).message]);
  }
  return parseCatalogue(raw, filePath);
}
