import type { RawBytePairRanks } from 'gpt-tokenizer/cjs/BytePairEncodingCore';
import { GptEncoding } from 'gpt-tokenizer/cjs/GptEncoding';
import { withLinearBpe } from './linear-bpe';
import { countPlainTokens, countPlainTokensInSlices, SLICE_MS, Slices } from './plain-count';

const NAMES = ['o200k_base', 'cl100k_base'] as const;
type Name = (typeof NAMES)[number];
const ranks = (name: Name) => (require(`gpt-tokenizer/cjs/bpeRanks/${name}`) as { default: RawBytePairRanks }).default;
const packaged = Object.fromEntries(NAMES.map((n) => [n, GptEncoding.getEncodingApi(n, () => ranks(n))])) as Record<Name, GptEncoding>;
const linear = Object.fromEntries(NAMES.map((n) => [n, withLinearBpe(GptEncoding.getEncodingApi(n, () => ranks(n)))])) as Record<Name, GptEncoding>;
const plain = { disallowedSpecial: new Set<string>() };

jest.setTimeout(60_000);

/** Deterministic text of `n` UTF-16 units at least, drawn from `alphabet`. */
function run(n: number, alphabet: readonly string[], seed = 11): string {
  let state = seed;
  let out = '';
  while (out.length < n) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    out += alphabet[(state >>> 16) % alphabet.length];
  }
  return out;
}
const LETTERS = [...'abcdefghijklmnopqrstuvwxyz'];

// Prose, long runs without whitespace of several kinds, special tokens' text, a run of spaces.
const MIXED = [
  "Sluice decides when, where and at what price a request runs. Isn't that neat?\r\n\tfor (let i = 0; i < n; i++) total += prices[i];",
  run(6_000, LETTERS),
  ' Привет, как дела? 日本語のテキスト ',
  run(3_000, [...'日本語のテキスト中文']),
  ' <|endoftext|> typed by a user, then <|fim_prefix|>',
  run(2_000, ['🚀', '🔥', '👍🏽']),
  ' '.repeat(500),
  'x'.repeat(5_000),
  'https://example.com/a/b?c=d&e=f ünïcödé façade',
].join('');

describe.each(NAMES)('counting plain text with %s', (name) => {
  it('counts mixed text to the very number gpt-tokenizer alone gives, at once and in slices', async () => {
    const reference = packaged[name].countTokens(MIXED, plain);
    expect(countPlainTokens(linear[name], MIXED)).toBe(reference);
    expect(await countPlainTokensInSlices(linear[name], MIXED)).toBe(reference);
    for (const text of ['', 'hello world', '<|endoftext|>', '   ']) expect(await countPlainTokensInSlices(linear[name], text)).toBe(packaged[name].countTokens(text, plain));
  });
});

describe('many distinct short pieces (random words)', () => {
  const words = (bytes: number) => run(bytes, LETTERS, 29).replace(/(.{7})/g, '$1 ');

  it('are counted to the very number gpt-tokenizer alone gives', () => {
    const text = words(100_000);
    expect(countPlainTokens(linear.cl100k_base, text)).toBe(packaged.cl100k_base.countTokens(text, plain));
  });

  it("are counted in linear time, a second count as fast as the first (1 MB was 11 s of CPU through the package's cache)", () => {
    const text = words(1 << 20);
    const cpuMs = (count: () => number) => {
      const started = process.cpuUsage();
      const result = count();
      const used = process.cpuUsage(started);
      return { result, ms: (used.user + used.system) / 1000 };
    };
    const first = cpuMs(() => countPlainTokens(linear.o200k_base, text));
    const second = cpuMs(() => countPlainTokens(linear.o200k_base, text));
    expect(second.result).toBe(first.result);
    // A ratio, not an absolute time, so a shared machine cannot fail it: the package's evicting
    // cache made the second count about seven times the first.
    expect(second.ms).toBeLessThan(3 * first.ms + 100);
  });
});

describe('a long count on the event loop', () => {
  const megabyte = run(1 << 20, LETTERS);
  const reference = linear.o200k_base.countTokens(megabyte, plain);

  it('counts 1 MB without whitespace in seconds of CPU at most (gpt-tokenizer alone: hours)', () => {
    const started = process.cpuUsage();
    expect(countPlainTokens(linear.o200k_base, megabyte)).toBe(reference);
    const used = process.cpuUsage(started);
    // CPU time, as the machine may be shared (a busy CI has shown eight times the quiet figure).
    expect((used.user + used.system) / 1000).toBeLessThan(10_000);
  });

  it('gives the loop back every few milliseconds, whatever the number of long counts at once', async () => {
    const turns: number[] = [];
    let last = performance.now();
    let probing = true;
    const probe = () => {
      const now = performance.now();
      turns.push(now - last);
      last = now;
      if (probing) setTimeout(probe, 0);
    };
    setTimeout(probe, 0);
    const started = performance.now();
    const counts = await Promise.all([0, 1, 2].map(() => countPlainTokensInSlices(linear.o200k_base, megabyte)));
    const elapsed = performance.now() - started;
    probing = false;
    expect(counts).toEqual([reference, reference, reference]);
    // At once, each count would hold the loop for a third of the time. In slices a turn holds one
    // slice (not one per count); on a loaded machine the process is sometimes descheduled longer.
    turns.sort((a, b) => a - b);
    expect(turns[Math.floor(turns.length / 2)]).toBeLessThan(5 * SLICE_MS);
    expect(turns[turns.length - 1]).toBeLessThan(elapsed / 6);
  });

  it('does not give the loop back before its slice is spent', async () => {
    const prompt = 'a short prompt, counted at once';
    countPlainTokens(linear.o200k_base, prompt);
    let turned = false;
    setImmediate(() => (turned = true));
    const slices = new Slices();
    for (let i = 0; i < 100; i++) {
      await slices.next();
      countPlainTokens(linear.o200k_base, prompt);
    }
    expect(turned).toBe(false);
  });
});
