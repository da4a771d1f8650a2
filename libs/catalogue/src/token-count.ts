import type { Catalogue, TokenizerEncoding } from './catalogue.schema';
import { resolveModel } from './catalogue';
import { countPlainTokensInSlices, encodingNamed, Slices } from '@sluice/tokenizer';

export { Slices } from '@sluice/tokenizer';

// Customer text is data: "<|endoftext|>" typed by a user is counted as ordinary text, not refused.
const asPlainText = { disallowedSpecial: new Set<string>() };

export function countTokensWith(encoding: TokenizerEncoding, text: string): number {
  return encodingNamed(encoding).countTokens(text, asPlainText);
}

/**
 * Texts shorter than this are counted at once (well under a millisecond: most prompts); longer
 * ones in slices that give the event loop back (countTokensInSlices).
 */
export const COUNT_AT_ONCE_CHARS = 16 * 1024;

/**
 * The count of countTokensWith, for a service's event loop: a long text is counted in slices of a
 * few milliseconds (@sluice/tokenizer's Slices), so a request that comes in meanwhile is not held
 * for the whole count. Short texts are counted at once. Pass one `slices` to all the counts of one
 * request: many short texts in a row (a request's items) are as long as one long text.
 */
export async function countTokensInSlices(encoding: TokenizerEncoding, text: string, slices = new Slices()): Promise<number> {
  if (text.length >= COUNT_AT_ONCE_CHARS) return countPlainTokensInSlices(encodingNamed(encoding), text, slices);
  await slices.next();
  return countTokensWith(encoding, text);
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

/** countPromptTokensWith in slices (see countTokensInSlices). */
export async function countPromptTokensInSlices(encoding: TokenizerEncoding, prompt: string | readonly { content: string }[], slices = new Slices()): Promise<number> {
  if (typeof prompt === 'string') return countTokensInSlices(encoding, prompt, slices);
  let sum = 3;
  for (const m of prompt) sum += TOKENS_PER_MESSAGE + (await countTokensInSlices(encoding, m.content, slices));
  return sum;
}

export function countPromptTokens(catalogue: Catalogue, model: string, prompt: string | readonly { content: string }[]): number {
  return countPromptTokensWith(resolveModel(catalogue, model).tokenizer, prompt);
}
