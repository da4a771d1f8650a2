import type { RawBytePairRanks } from 'gpt-tokenizer/cjs/BytePairEncodingCore';
import { GptEncoding } from 'gpt-tokenizer/cjs/GptEncoding';
import { COUNT_AT_ONCE_CHARS, countPromptTokensInSlices, countPromptTokensWith, countTokens, countTokensInSlices, countTokensWith } from './token-count';
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

  it('counts prose exactly as gpt-tokenizer does, and 1 MB without whitespace (hours for gpt-tokenizer alone)', () => {
    const prose = 'Sluice runs inference inside the SLA window at the best price. It can\'t wait forever, can it?\n\tПривет! 日本語。';
    for (const name of ['o200k_base', 'cl100k_base'] as const) {
      const ranks = (require(`gpt-tokenizer/cjs/bpeRanks/${name}`) as { default: RawBytePairRanks }).default;
      const reference = GptEncoding.getEncodingApi(name, () => ranks);
      expect(countTokensWith(name, prose)).toBe(reference.countTokens(prose, { disallowedSpecial: new Set() }));
      const run = 'abcdefghij'.repeat(1_000);
      expect(countTokensWith(name, run)).toBe(reference.countTokens(run, { disallowedSpecial: new Set() }));
    }
    // gpt-tokenizer alone is quadratic on one piece: hours for this; "xxxxxxxx" is one token.
    expect(countTokens(catalogue, 'gpt-4o', 'x'.repeat(1_000_000))).toBe(125_000);
  });
});

describe('countTokensInSlices', () => {
  const long = `${'Sluice counts what a request sends. '.repeat(600)}${'abcdefghijklmnopqrstuvwxyz'.repeat(2_000)} <|endoftext|>`;

  it('counts what countTokensWith counts, long texts and short, prompts and conversations', async () => {
    expect(long.length).toBeGreaterThan(COUNT_AT_ONCE_CHARS);
    for (const encoding of ['o200k_base', 'cl100k_base'] as const) {
      for (const text of [long, 'hello world', '']) expect(await countTokensInSlices(encoding, text)).toBe(countTokensWith(encoding, text));
      const conversation = [{ content: 'You are terse.' }, { content: long }];
      expect(await countPromptTokensInSlices(encoding, conversation)).toBe(countPromptTokensWith(encoding, conversation));
    }
  });

  it('counts a short text without waiting for a turn of the event loop', async () => {
    let turned = false;
    setImmediate(() => (turned = true));
    expect(await countTokensInSlices('o200k_base', 'Summarize inference routing in two sentences.')).toBe(9);
    expect(turned).toBe(false);
  });
});
