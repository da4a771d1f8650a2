import type { Catalogue, TokenizerEncoding } from './catalogue.schema';
import { resolveModel } from './catalogue';
import { loadEncoding, type Encoding } from './encodings';

// Loaded when a model using it is first counted, not with the module (see loadEncoding).
const loaded: Partial<Record<TokenizerEncoding, Encoding>> = {};

// Customer text is data: "<|endoftext|>" typed by a user is counted as ordinary text, not refused.
const asPlainText = { disallowedSpecial: new Set<string>() };

export function countTokensWith(encoding: TokenizerEncoding, text: string): number {
  return (loaded[encoding] ??= loadEncoding(encoding)).countTokens(text, asPlainText);
}

/** Tokens the model's tokenizer (as named in the catalogue) makes of the text. */
export function countTokens(catalogue: Catalogue, model: string, text: string): number {
  return countTokensWith(resolveModel(catalogue, model).tokenizer, text);
}

/** OpenAI's chat format adds a few tokens per message (role and separators) around its content. */
export const TOKENS_PER_MESSAGE = 4;

/** Input tokens of a prompt: plain text, or a conversation counted as the chat format does. */
export function countPromptTokensWith(encoding: TokenizerEncoding, prompt: string | readonly { content: string }[]): number {
  if (typeof prompt === 'string') return countTokensWith(encoding, prompt);
  return prompt.reduce((sum, m) => sum + TOKENS_PER_MESSAGE + countTokensWith(encoding, m.content), 3);
}

export function countPromptTokens(catalogue: Catalogue, model: string, prompt: string | readonly { content: string }[]): number {
  return countPromptTokensWith(resolveModel(catalogue, model).tokenizer, prompt);
}
