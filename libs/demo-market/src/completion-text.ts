import { encodingNamed } from '@sluice/tokenizer';
import { createHash } from 'node:crypto';
import type { DemoTokenizer } from './demo-market.types';

// Encodings come from @sluice/tokenizer's per-thread cache, loaded by the market that uses them
// (warmTokenizers, on its start) on the thread it answers from: importing this module (the
// engine's main thread does, for the market's types and start) costs nothing.
const asPlainText = { disallowedSpecial: new Set<string>() };

/** Loads these encodings now: loading one takes 0.1–0.4 s of CPU, which a first answer should not wait for. */
export function warmTokenizers(tokenizers: Iterable<DemoTokenizer>): void {
  for (const tokenizer of tokenizers) encodingNamed(tokenizer);
}

export function countTokens(tokenizer: DemoTokenizer, text: string): number {
  return encodingNamed(tokenizer).countTokens(text, asPlainText);
}

/** A number in [0, 1) that depends only on its parts. */
export function unitHash(...parts: readonly (string | number)[]): number {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest();
  return digest.readUInt32BE(0) / 2 ** 32;
}

/** Numbers in [0, 1) drawn from one hash of the parts (mulberry32): a hash per draw costs more than the answer. */
function unitSequence(...parts: readonly (string | number)[]): () => number {
  let state = createHash('sha256').update(parts.join('\u0000')).digest().readUInt32BE(0);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const vocabulary = (
  'the exchange routes each request to a provider whose price latency and reliability fit ' +
  'the profile while batches wait for cheaper hours inside the window so tokens cost less ' +
  'models answer quickly when capacity is free and queues drain before the deadline arrives'
).split(' ');

export interface GeneratedCompletion {
  readonly text: string;
  readonly completionTokens: number;
  readonly finishReason: 'stop' | 'length';
}

/**
 * A deterministic answer: its natural length (16..143 tokens) and words come from a hash
 * of the seed, model and prompt; `maxTokens` cuts it at a token boundary, as a real model would.
 */
export function generateCompletion(
  seed: string,
  model: string,
  tokenizer: DemoTokenizer,
  prompt: string,
  maxTokens: number,
): GeneratedCompletion {
  const naturalTokens = 16 + Math.floor(unitHash(seed, model, prompt, 'length') * 128);
  const opening = prompt.trim().split(/\s+/).slice(0, 4).join(' ');
  const words = [`About "${opening}":`];
  const next = unitSequence(seed, model, prompt, 'words');
  while (words.length < naturalTokens) words.push(vocabulary[Math.floor(next() * vocabulary.length)]);
  const encoding = encodingNamed(tokenizer);
  const tokens = encoding.encode(`${words.join(' ')}.`, asPlainText).slice(0, naturalTokens);
  const finishReason = tokens.length <= maxTokens ? 'stop' : 'length';
  const text = encoding.decode(tokens.slice(0, maxTokens));
  // Usage is what the tokenizer makes of the text actually sent, as a client would recount it.
  return { text, completionTokens: countTokens(tokenizer, text), finishReason };
}
