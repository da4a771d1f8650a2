import { isStorableText, type GenerationParams } from '@sluice/events';

/**
 * The two JSONL line formats a batch file may use, one per file:
 * - `sluice`: the seed's Gemini-like `{"key", "request": {"contents": [{"parts": [{"text"}]}], "generation_config", "model"}}`;
 * - `openai`: OpenAI Batch `{"custom_id", "method": "POST", "url": "/v1/chat/completions", "body": {"model", "messages", …}}`.
 */
export type LineFormat = 'sluice' | 'openai';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'developer';
  content: string;
}

export interface LineRequest {
  /** seed: `key`; openai: `custom_id` */
  key: string;
  /** As written (an alias or a model id): the caller resolves it. */
  model: string;
  /** seed → all parts' texts joined with "\n"; openai → the messages, array-of-text-parts contents joined. */
  input: { text: string } | { messages: ChatMessage[] };
  maxOutputTokens?: number;
  /** Sampling and format as the line asked, passed on to the provider. */
  params?: GenerationParams;
}

export type LineErrorCode = 'invalid_json' | 'invalid_line' | 'format_mismatch' | 'unstorable_text';

export type ParsedLine =
  | { ok: true; lineNo: number; request: LineRequest }
  /** `message` names the line and the field, e.g. "line 7: request.contents[0].parts[0].text is required". */
  | { ok: false; lineNo: number; key?: string; code: LineErrorCode; message: string };

/** What a user calls each format in messages. */
export const FORMAT_NAMES: Record<LineFormat, string> = {
  sluice: 'the Sluice/Gemini format ({"key", "request"})',
  openai: 'the OpenAI Batch format ({"custom_id", "method", "url", "body"})',
};

/** The field that carries a line's key in each format. */
export const KEY_FIELDS: Record<LineFormat, 'key' | 'custom_id'> = { sluice: 'key', openai: 'custom_id' };

export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The format a parsed line is written in, from the fields that name it: `custom_id` (openai) before
 * `key`/`request` (sluice) before `body` (openai). Null when it is not an object or has none of them.
 */
export function detectFormat(value: unknown): LineFormat | null {
  if (!isJsonObject(value)) return null;
  if ('custom_id' in value) return 'openai';
  if ('key' in value || 'request' in value) return 'sluice';
  if ('body' in value) return 'openai';
  return null;
}

/** The line's key as written in `format`, when it is a non-empty string. */
export function keyOf(value: unknown, format: LineFormat): string | undefined {
  if (!isJsonObject(value)) return undefined;
  const key = value[KEY_FIELDS[format]];
  return typeof key === 'string' && key.length > 0 ? key : undefined;
}

const MAX_MODEL_NAME = 200;

/**
 * The model a line names and the output bound it asks for, as written, read without validating
 * the line (its expansion does): what the SLA capacity check counts of a file at submission.
 */
export function modelDemandOf(value: unknown, format: LineFormat): { model: string; maxOutputTokens?: number } | undefined {
  if (!isJsonObject(value)) return undefined;
  const request = format === 'sluice' ? value.request : value.body;
  // A name no model has (too long to be one, or text an event cannot carry) fails at expansion, uncounted.
  if (!isJsonObject(request) || typeof request.model !== 'string' || request.model.length > MAX_MODEL_NAME || !isStorableText(request.model)) return undefined;
  let max: unknown;
  if (format === 'sluice') {
    const config = isJsonObject(request.generation_config) ? request.generation_config : isJsonObject(request.generationConfig) ? request.generationConfig : {};
    max = config.max_output_tokens ?? config.maxOutputTokens;
  } else {
    // As fromOpenai: max_completion_tokens replaces the deprecated max_tokens.
    max = request.max_completion_tokens ?? request.max_tokens;
  }
  return Number.isSafeInteger(max) && (max as number) > 0 ? { model: request.model, maxOutputTokens: max as number } : { model: request.model };
}
