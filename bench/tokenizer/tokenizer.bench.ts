/**
 * Token counting benchmark: ms to count 10 KB, 100 KB and 1 MB of English prose and of text
 * without whitespace, with gpt-tokenizer alone ("before": its merge is quadratic in the length of
 * a piece, and text without whitespace is one piece) and as Sluice counts (`countTokensWith`,
 * gpt-tokenizer made linear on long pieces by @sluice/tokenizer: "after"). Prints one JSON line
 * per text and size; counts are checked equal wherever both ran. See README.md for figures.
 *
 *   npm run bench:tokenizer -- [--encoding o200k_base|cl100k_base] [--runs 3] [--before-max-kb 100]
 *
 * Times are the median of --runs counts (prose: after one untimed count each way): `afterMs` wall
 * time, `afterCpuMs` the process's CPU time (steadier on a shared machine). `slicedMs` is the
 * API's count (`countTokensInSlices`: in slices that give the event loop back) and `longestTurnMs`
 * the longest the loop went without a turn meanwhile (a timer probe). Without whitespace the
 * package alone takes seconds at 100 KB and hours at 1 MB, so it is timed once and only up to
 * --before-max-kb (0: not at all); beyond, `beforeEstimateMs` extrapolates quadratically from the
 * largest size it ran.
 */
import { parseArgs } from 'node:util';
import { countTokensInSlices, countTokensWith, type TokenizerEncoding } from '@sluice/catalogue';
import type { RawBytePairRanks } from 'gpt-tokenizer/cjs/BytePairEncodingCore';
import { GptEncoding } from 'gpt-tokenizer/cjs/GptEncoding';

const { values: args } = parseArgs({
  options: {
    encoding: { type: 'string', default: 'o200k_base' },
    runs: { type: 'string', default: '3' },
    'before-max-kb': { type: 'string', default: '100' },
  },
});
const ENCODING = args.encoding as TokenizerEncoding;
const RUNS = Number(args.runs);
const BEFORE_MAX_BYTES = Number(args['before-max-kb']) * 1024;
const SIZES = [10 * 1024, 100 * 1024, 1024 * 1024];
const plain = { disallowedSpecial: new Set<string>() };

/** A deterministic stream of numbers in [0, 1). */
function lcg(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
}

const VOCABULARY = (
  'the a an of to in for on with at by from about as into like through after over between out against during without before under around among ' +
  'exchange provider request price latency window batch model token customer wallet schedule route answer queue deadline capacity market hour cost ' +
  'runs decides bills waits drains falls rises quotes retries settles counts sends keeps reads writes holds meets misses ' +
  'cheap fast slow reliable late early busy free quiet remote local whole partial exact rough daily nightly ' +
  'Sluice OpenAI Kafka PostgreSQL inference throughput reservation settlement idempotency'
).split(' ');

/** English-like prose: sentences of 6 to 20 words, commas, paragraphs. */
function prose(bytes: number): string {
  const next = lcg(42);
  let out = '';
  while (out.length < bytes) {
    const words = 6 + Math.floor(next() * 15);
    let sentence = '';
    for (let w = 0; w < words; w++) {
      let word = VOCABULARY[Math.floor(next() * VOCABULARY.length)];
      if (w === 0) word = word[0].toUpperCase() + word.slice(1);
      sentence += (w === 0 ? '' : next() < 0.08 ? ', ' : ' ') + word;
    }
    out += `${sentence}${next() < 0.1 ? '?' : '.'}${next() < 0.15 ? '\n\n' : ' '}`;
  }
  return out.slice(0, bytes);
}

/** English words glued together (a long identifier, a URL slug, base64 without digits): one piece for the pre-tokenizer. */
function gluedWords(bytes: number): string {
  const next = lcg(7);
  let out = '';
  while (out.length < bytes) out += VOCABULARY[Math.floor(next() * VOCABULARY.length)].toLowerCase();
  return out.slice(0, bytes);
}

/** Random lower-case letters: the most distinct token pairs per byte (the slowest case after the fix). */
function randomLetters(bytes: number): string {
  const next = lcg(11);
  let out = '';
  while (out.length < bytes) out += String.fromCharCode(97 + Math.floor(next() * 26));
  return out;
}

/** Random lower-case "words" of seven letters: prose-shaped, but every piece new to a cache of words. */
function randomWords(bytes: number): string {
  return randomLetters(bytes).replace(/(.{7})/g, '$1 ').slice(0, bytes);
}

const TEXTS: Record<string, { make: (bytes: number) => string; quadratic: boolean }> = {
  'english-prose': { make: prose, quadratic: false },
  // Not quadratic, but seconds per MB for the package alone: timed once, as the runs without whitespace.
  'random-words': { make: randomWords, quadratic: true },
  'no-whitespace-words': { make: gluedWords, quadratic: true },
  'no-whitespace-random-letters': { make: randomLetters, quadratic: true },
  // The probe of issue #23.
  'no-whitespace-x': { make: (bytes) => 'x'.repeat(bytes), quadratic: true },
};

const median = (samples: number[]) => Math.round([...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)] * 10) / 10;

/** Median wall and CPU ms of `runs` timed counts, after one untimed count when `warm` (the package's cache of words, as in a running service). */
function time(count: () => number, runs: number, warm: boolean): { ms: number; cpuMs: number; tokens: number } {
  if (warm) count();
  const wall: number[] = [];
  const cpu: number[] = [];
  let tokens = 0;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const used = process.cpuUsage();
    tokens = count();
    const { user, system } = process.cpuUsage(used);
    wall.push(performance.now() - started);
    cpu.push((user + system) / 1000);
  }
  return { ms: median(wall), cpuMs: median(cpu), tokens };
}

/** Median ms of `runs` counts in slices, and the longest the event loop went without a turn during them. */
async function timeSliced(count: () => Promise<number>, runs: number): Promise<{ ms: number; longestTurnMs: number; tokens: number }> {
  const wall: number[] = [];
  let longestTurn = 0;
  let tokens = 0;
  for (let i = 0; i < runs; i++) {
    let last = performance.now();
    let probing = true;
    const probe = () => {
      const now = performance.now();
      longestTurn = Math.max(longestTurn, now - last);
      last = now;
      if (probing) setTimeout(probe, 0);
    };
    setTimeout(probe, 0);
    const started = performance.now();
    tokens = await count();
    wall.push(performance.now() - started);
    probing = false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return { ms: median(wall), longestTurnMs: Math.round(longestTurn * 10) / 10, tokens };
}

async function main() {
  const ranks = (require(`gpt-tokenizer/cjs/bpeRanks/${ENCODING}`) as { default: RawBytePairRanks }).default;
  const packaged = GptEncoding.getEncodingApi(ENCODING, () => ranks);
  // Warm both paths (tables loaded, code compiled) before any timing.
  const warm = prose(4096) + gluedWords(4096);
  if (packaged.countTokens(warm, plain) !== countTokensWith(ENCODING, warm)) throw new Error('the two paths count differently');
  for (const [text, { make, quadratic }] of Object.entries(TEXTS)) {
    let largestBefore: { bytes: number; ms: number } | undefined;
    for (const bytes of SIZES) {
      const input = make(bytes);
      // Without whitespace the first count is timed too: it is the one that meets every pair of tokens first.
      const after = time(() => countTokensWith(ENCODING, input), RUNS, !quadratic);
      const sliced = await timeSliced(() => countTokensInSlices(ENCODING, input), RUNS);
      if (sliced.tokens !== after.tokens) throw new Error(`${text} ${bytes} B: ${after.tokens} tokens at once, ${sliced.tokens} in slices`);
      let before: { ms: number; tokens: number } | undefined;
      if (!quadratic || bytes <= BEFORE_MAX_BYTES) {
        before = time(() => packaged.countTokens(input, plain), quadratic ? 1 : RUNS, !quadratic);
        if (before.tokens !== after.tokens) throw new Error(`${text} ${bytes} B: ${before.tokens} tokens before, ${after.tokens} after`);
        largestBefore = { bytes, ms: before.ms };
      }
      const estimate = !before && largestBefore ? Math.round(largestBefore.ms * (bytes / largestBefore.bytes) ** 2) : undefined;
      console.log(
        JSON.stringify({
          encoding: ENCODING,
          text,
          bytes,
          tokens: after.tokens,
          beforeMs: before?.ms ?? null,
          ...(estimate !== undefined ? { beforeEstimateMs: estimate } : {}),
          afterMs: after.ms,
          afterCpuMs: after.cpuMs,
          slicedMs: sliced.ms,
          longestTurnMs: sliced.longestTurnMs,
        }),
      );
    }
  }
}

void main();
