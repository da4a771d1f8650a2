import { countTokens, countTokensWith } from './token-count';
import { loadCatalogue } from './load-catalogue';

const catalogue = loadCatalogue();

describe('countTokens', () => {
  it('counts with the encoding the catalogue names for the model', () => {
    const text = 'Привет, как дела? Summarize inference routing in two sentences.';
    expect(countTokens(catalogue, 'gpt-4o', text)).toBe(countTokensWith('o200k_base', text));
    expect(countTokens(catalogue, 'llama-3.1-8b', text)).toBe(countTokensWith('cl100k_base', text));
    expect(countTokensWith('o200k_base', text)).not.toBe(countTokensWith('cl100k_base', text));
  });

  it('matches the reference count for a known sentence', () => {
    expect(countTokens(catalogue, 'gpt-4o', 'hello world')).toBe(2);
  });

  it('counts special-token text typed by a user as ordinary text', () => {
    expect(countTokens(catalogue, 'gpt-4o', 'say <|endoftext|> twice')).toBeGreaterThan(3);
  });

  it('counts nothing for empty input', () => {
    expect(countTokens(catalogue, 'qwen-7b', '')).toBe(0);
  });
});
