import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CatalogueInvalidError, demoCataloguePath, loadCatalogue, parseCatalogue } from './load-catalogue';

const demoJson = () => JSON.parse(readFileSync(demoCataloguePath, 'utf8'));

function problemsOf(raw: unknown): readonly string[] {
  try {
    parseCatalogue(raw);
  } catch (err) {
    if (err instanceof CatalogueInvalidError) return err.problems;
    throw err;
  }
  throw new Error('expected the catalogue to be rejected');
}

describe('loading the catalogue', () => {
  it('loads the demo catalogue that ships with the product', () => {
    const catalogue = loadCatalogue();
    expect(catalogue.models.map((m) => m.id)).toEqual(
      expect.arrayContaining(['deepseek:r1-32b', 'openai:gpt-4o', 'openai:gpt-4o-mini', 'llama-3.1-8b']),
    );
    expect(catalogue.providers.length).toBeGreaterThanOrEqual(4);
  });

  it('names the JSON path of a bad price', () => {
    const raw = demoJson();
    raw.providers[1].models[2].price.inputMicrosPerMillion = 0.5;
    expect(problemsOf(raw)).toEqual([expect.stringMatching(/^providers\[1\]\.models\[2\]\.price\.inputMicrosPerMillion: /)]);
  });

  it("names the API a provider speaks, and refuses an unknown one or an Anthropic or Gemini base URL with the SDK's /v1", () => {
    const raw = demoJson();
    const claude = raw.providers.findIndex((p: { api?: string }) => p.api === 'anthropic');
    expect(parseCatalogue(raw).providers[claude].api).toBe('anthropic');
    raw.providers[claude].baseUrl = 'https://api.anthropic.com/v1';
    expect(problemsOf(raw)).toEqual([`providers[${claude}].baseUrl: an anthropic base URL is the origin, without /v1 (e.g. https://api.anthropic.com)`]);
    const unknown = demoJson();
    unknown.providers[0].api = 'cohere';
    expect(problemsOf(unknown)).toEqual([expect.stringMatching(/^providers\[0\]\.api: /)]);
  });

  it('names the offer that points at a model the catalogue does not publish', () => {
    const raw = demoJson();
    raw.providers[0].models[0].model = 'gpt-5-turbo';
    expect(problemsOf(raw)).toEqual(['providers[0].models[0].model: unknown model "gpt-5-turbo" (use a model id from "models")']);
  });

  it('rejects an alias that already names another model', () => {
    const raw = demoJson();
    raw.models[1].aliases.push('GPT-4o');
    expect(problemsOf(raw)).toEqual([expect.stringMatching(/^models\[1\]\.aliases\[1\]: "GPT-4o" already names model "openai:gpt-4o"/)]);
  });

  it('rejects misspelt keys instead of ignoring them', () => {
    const raw = demoJson();
    raw.providers[2].latency.ttftMS = 10;
    expect(problemsOf(raw)).toEqual([expect.stringMatching(/^providers\[2\]\.latency: .*ttftMS/)]);
  });

  it('rejects a schedule window with a malformed time', () => {
    const raw = demoJson();
    raw.providers[3].priceSchedule[0].fromUtc = '25:00';
    expect(problemsOf(raw)).toEqual(['providers[3].priceSchedule[0].fromUtc: expected a UTC time "HH:MM"']);
  });

  it('reports a file that is not JSON with the file name', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'catalogue-')), 'broken.json');
    writeFileSync(file, '{ "models": [');
    expect(() => loadCatalogue(file)).toThrow(new RegExp(`catalogue ${file} is invalid`));
  });
});
