import type { RawBytePairRanks } from 'gpt-tokenizer/cjs/BytePairEncodingCore';
import { GptEncoding } from 'gpt-tokenizer/cjs/GptEncoding';
import { LONG_PIECE_CHARS, MARGIN_BYTES, WINDOW_BYTES, withLinearBpe } from './linear-bpe';

const NAMES = ['o200k_base', 'cl100k_base'] as const;
type Name = (typeof NAMES)[number];
const ranks = (name: Name) => (require(`gpt-tokenizer/cjs/bpeRanks/${name}`) as { default: RawBytePairRanks }).default;
// Two instances per encoding: the package's own merge, and the same tables made linear.
const packaged = Object.fromEntries(NAMES.map((n) => [n, GptEncoding.getEncodingApi(n, () => ranks(n))])) as Record<Name, GptEncoding>;
const linear = Object.fromEntries(NAMES.map((n) => [n, withLinearBpe(GptEncoding.getEncodingApi(n, () => ranks(n)))])) as Record<Name, GptEncoding>;
const plain = { disallowedSpecial: new Set<string>() };

const PROSE = [
  'Sluice decides when (inside the customer\'s SLA window), where (which provider, live or through a',
  "provider's batch API) and at what price it runs, runs it, and bills a prepaid wallet. Isn't that neat?",
  '  Indented code: for (let i = 0; i < n; i++) { total += prices[i] * 1.05; }\n\n\tTabs, CRLF\r\nand URLs: https://example.com/a/b?c=d&e=f',
  'Привет, как дела? 日本語のテキストも数えます。 Ünïcödé façade naïve café, emoji 🚀🔥 and <|endoftext|> typed by a user.',
].join('\n');

/** Deterministic text without whitespace, of `n` UTF-16 units at least. */
function run(n: number, alphabet: readonly string[], seed = 7): string {
  let state = seed;
  let out = '';
  while (out.length < n) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    out += alphabet[(state >>> 16) % alphabet.length];
  }
  return out;
}
const WORDS = 'the exchange routes each request to a provider whose price latency and reliability fit while batches wait for cheaper hours'.split(' ');
const LONG_RUNS: Record<string, string> = {
  'English words glued together': run(20_000, WORDS),
  'random lower-case letters': run(20_000, [...'abcdefghijklmnopqrstuvwxyz']),
  'one letter repeated': 'x'.repeat(20_000),
  'a DNA sequence': run(20_000, [...'ACGT']),
  'mixed case': run(20_000, [...'abcABC']),
  'accented letters (two bytes each)': run(10_000, [...'éàüßøñ']),
  'CJK without punctuation (three bytes each)': run(7_000, [...'日本語のテキスト中文文本计数한국어']),
  'emoji (surrogate pairs, four bytes each)': run(10_000, ['🚀', '🔥', '👍🏽']),
  'punctuation': run(20_000, [...'!?.,;:-_=+*#']),
  'spaces': ' '.repeat(20_000),
};

describe('withLinearBpe', () => {
  it('merges long pieces in several windows: the runs below are longer than one window', () => {
    expect(LONG_PIECE_CHARS).toBeLessThan(WINDOW_BYTES);
    for (const text of Object.values(LONG_RUNS)) expect(Buffer.byteLength(text)).toBeGreaterThan(3 * (WINDOW_BYTES + MARGIN_BYTES));
  });

  describe.each(NAMES)('%s', (name) => {
    it('encodes prose to the very tokens the package does', () => {
      expect(linear[name].encode(PROSE, plain)).toEqual(packaged[name].encode(PROSE, plain));
      expect(linear[name].countTokens(PROSE, plain)).toBe(packaged[name].countTokens(PROSE, plain));
    });

    it.each(Object.keys(LONG_RUNS))('encodes a long run of %s to the very tokens the package does', (kind) => {
      const text = LONG_RUNS[kind];
      const tokens = linear[name].encode(text, plain);
      expect(tokens).toEqual(packaged[name].encode(text, plain));
      expect(linear[name].decode(tokens)).toBe(text);
    });

    it('encodes a long run inside prose as the package does', () => {
      const text = `${PROSE} ${LONG_RUNS['English words glued together'].slice(0, 9_000)}, ${PROSE}`;
      expect(linear[name].encode(text, plain)).toEqual(packaged[name].encode(text, plain));
    });
  });

  it('counts 1 MB without whitespace (the package alone takes hours)', () => {
    // "xxxxxxxx" is one token in both encodings (as the 20 000-character comparison above shows).
    expect(linear.o200k_base.countTokens('x'.repeat(1_000_000), plain)).toBe(125_000);
    expect(linear.cl100k_base.countTokens(run(1_000_000, WORDS), plain)).toBeGreaterThan(150_000);
  });

  it('changes an encoding once, however often it is asked to', () => {
    const encoding = GptEncoding.getEncodingApi('o200k_base', () => ranks('o200k_base'));
    expect(withLinearBpe(withLinearBpe(encoding))).toBe(encoding);
    const text = LONG_RUNS['random lower-case letters'];
    expect(encoding.countTokens(text, plain)).toBe(packaged.o200k_base.countTokens(text, plain));
  });
});
