import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkCatalogue } from './catalogue-check';

describe('sluice catalogue check', () => {
  it('accepts the example real-price catalogue and says which provider keys are missing', () => {
    const report = checkCatalogue('config/catalogue.example.json', { OPENAI_API_KEY: 'sk-test' });
    expect(report.ok).toBe(true);
    expect(report.lines.join('\n')).toMatch(/openai \(openai, OPENAI_API_KEY set, batch -50%\): openai:gpt-4o \$2\.50\/\$10\.00/);
    expect(report.lines.join('\n')).toMatch(/anthropic \(anthropic, ANTHROPIC_API_KEY NOT set: left out of routing/);
    expect(report.lines.join('\n')).not.toMatch(/sk-test/);
  });

  it('names every problem of a broken file by its path', () => {
    const file = join(tmpdir(), `catalogue-check-${process.pid}.json`);
    writeFileSync(file, JSON.stringify({ models: [{ id: 'm', contextTokens: 10, maxOutputTokens: 20, tokenizer: 'cl100k_base', basePrice: { inputMicrosPerMillion: 1, outputMicrosPerMillion: 1 } }], providers: [] }));
    const report = checkCatalogue(file);
    expect(report.ok).toBe(false);
    expect(report.lines).toEqual(expect.arrayContaining([expect.stringMatching(/models\[0\]\.maxOutputTokens: maxOutputTokens cannot exceed contextTokens/), expect.stringMatching(/^  providers:/)]));
  });

  it('keeps the demo catalogue valid', () => {
    expect(checkCatalogue('config/catalogue.demo.json').ok).toBe(true);
  });
});
