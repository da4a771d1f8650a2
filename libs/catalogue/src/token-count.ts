// The cjs/ paths because the workspace's "node" module resolution does not read the exports map.
import * as cl100k from 'gpt-tokenizer/cjs/encoding/cl100k_base';
import * as o200k from 'gpt-tokenizer/cjs/encoding/o200k_base';
import type { Catalogue, TokenizerEncoding } from './catalogue.schema';
import { resolveModel } from './catalogue';

const encodings: Record<TokenizerEncoding, typeof o200k> = { o200k_base: o200k, cl100k_base: cl100k };

// Customer text is data: "<|endoftext|>" typed by a user is counted as ordinary text, not refused.
const asPlainText = { disallowedSpecial: new Set<string>() };

export function countTokensWith(encoding: TokenizerEncoding, text: string): number {
  return encodings[encoding].countTokens(text, asPlainText);
}

/** Tokens the model's tokenizer (as named in the catalogue) makes of the text. */
export function countTokens(catalogue: Catalogue, model: string, text: string): number {
  return countTokensWith(resolveModel(catalogue, model).tokenizer, text);
}
