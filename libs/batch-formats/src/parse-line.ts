import { findUnstorable, toStorableText, UNSTORABLE_MESSAGE, type GenerationParams } from '@sluice/events';
import type { z } from 'zod';
import {
  detectFormat,
  FORMAT_NAMES,
  isJsonObject,
  keyOf,
  type LineErrorCode,
  type LineFormat,
  type LineRequest,
  type ParsedLine,
} from './line-format';
import type { ReadLine } from './read-lines';
import { fieldErrorMap, fieldPath, openaiLineSchema, sluiceLineSchema, type OpenaiLine, type SluiceLine } from './line-schemas';

// The message may quote the line (JSON.parse's does): it travels in an event, so it must be storable.
const failed = (lineNo: number, code: LineErrorCode, message: string, key?: string): ParsedLine => {
  const text = `line ${lineNo}: ${toStorableText(message)}`;
  return key === undefined ? { ok: false, lineNo, code, message: text } : { ok: false, lineNo, key, code, message: text };
};

/**
 * Validates one line of a file whose format is `format` (from FileScanner). A failure keeps the line's
 * key when it has one, so the caller can report the failed object under it.
 */
export function parseLine(text: string, lineNo: number, format: LineFormat): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return failed(lineNo, 'invalid_json', `not valid JSON (${(err as Error).message})`);
  }
  if (!isJsonObject(value)) {
    return failed(lineNo, 'invalid_line', `must be a JSON object, not ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`);
  }
  // Only a \u escape puts NUL or a lone surrogate in a parsed string (raw NUL is not JSON, and
  // UTF-8 decoding replaces a lone surrogate): lines without one skip the walk.
  if (text.includes('\\u')) {
    const at = findUnstorable(value);
    if (at !== null) return failed(lineNo, 'unstorable_text', `${at} ${UNSTORABLE_MESSAGE}`);
  }
  const lineFormat = detectFormat(value);
  if (lineFormat !== null && lineFormat !== format) {
    return failed(
      lineNo,
      'format_mismatch',
      `is in ${FORMAT_NAMES[lineFormat]} but this file is in ${FORMAT_NAMES[format]}; a file uses one format throughout`,
      keyOf(value, lineFormat),
    );
  }
  const key = keyOf(value, format);
  const schema = format === 'sluice' ? sluiceLineSchema : openaiLineSchema;
  const result = schema.safeParse(value, { error: fieldErrorMap });
  if (!result.success) {
    // A field Sluice cannot pass on says more than what its absence breaks (a part with no text).
    const { issues } = result.error;
    return failed(lineNo, 'invalid_line', describeIssue(issues.find((i) => i.code === 'unrecognized_keys') ?? issues[0]), key);
  }
  const request = format === 'sluice' ? fromSluice(result.data as SluiceLine) : fromOpenai(result.data as OpenaiLine);
  return { ok: true, lineNo, request };
}

/** A line from readLines: one over the size limit fails without being parsed. */
export function parseReadLine(line: ReadLine, format: LineFormat): ParsedLine {
  if (line.tooLong) return failed(line.lineNo, 'invalid_line', `is ${line.tooLong.bytes} bytes long, over the limit of ${line.tooLong.limit} bytes for one line`);
  return parseLine(line.text, line.lineNo, format);
}

function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (issue === undefined) return 'is not valid';
  const path = fieldPath(issue.path);
  return path === '' ? issue.message : `${path} ${issue.message}`;
}

const defined = <T>(value: T | null | undefined): T | undefined => (value === null ? undefined : value);

/** Only the parameters that were sent; none → undefined. */
function paramsOf(params: GenerationParams): GenerationParams | undefined {
  const sent = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined && v !== null)) as GenerationParams;
  return Object.keys(sent).length > 0 ? sent : undefined;
}

function withOptions(request: LineRequest, maxOutputTokens: number | undefined, params: GenerationParams): LineRequest {
  if (maxOutputTokens !== undefined) request.maxOutputTokens = maxOutputTokens;
  const sent = paramsOf(params);
  if (sent) request.params = sent;
  return request;
}

const partsText = (parts: readonly { text: string }[]) => parts.map((p) => p.text).join('\n');

/**
 * A single user turn without a system instruction stays plain text (sent as one user message);
 * anything more is a conversation: system text first, `model` turns as the assistant's.
 */
function fromSluice(line: SluiceLine): LineRequest {
  const { request } = line;
  const system = request.system_instruction ?? request.systemInstruction;
  const single = request.contents.length === 1 && (request.contents[0].role ?? 'user') === 'user' && !system;
  const input: LineRequest['input'] = single
    ? { text: partsText(request.contents[0].parts) }
    : {
        messages: [
          ...(system ? [{ role: 'system' as const, content: partsText(system.parts) }] : []),
          ...request.contents.map((c) => ({ role: c.role === 'model' ? ('assistant' as const) : ('user' as const), content: partsText(c.parts) })),
        ],
      };
  const config = request.generation_config ?? request.generationConfig ?? {};
  const mime = defined(config.response_mime_type ?? config.responseMimeType);
  return withOptions({ key: line.key, model: request.model, input }, defined(config.max_output_tokens ?? config.maxOutputTokens), {
    temperature: defined(config.temperature),
    topP: defined(config.top_p ?? config.topP),
    stop: defined(config.stop_sequences ?? config.stopSequences),
    seed: defined(config.seed),
    presencePenalty: defined(config.presence_penalty ?? config.presencePenalty),
    frequencyPenalty: defined(config.frequency_penalty ?? config.frequencyPenalty),
    responseFormat: mime === 'application/json' ? { type: 'json_object' } : undefined,
  });
}

function fromOpenai(line: OpenaiLine): LineRequest {
  const { body } = line;
  const messages = body.messages.map((m) => ({
    role: m.role,
    content: typeof m.content === 'string' ? m.content : m.content.map((p) => p.text).join('\n'),
  }));
  const stop = defined(body.stop);
  // max_completion_tokens replaces the deprecated max_tokens when both are sent.
  return withOptions({ key: line.custom_id, model: body.model, input: { messages } }, defined(body.max_completion_tokens ?? body.max_tokens), {
    temperature: defined(body.temperature),
    topP: defined(body.top_p),
    stop: typeof stop === 'string' ? [stop] : stop,
    seed: defined(body.seed),
    presencePenalty: defined(body.presence_penalty),
    frequencyPenalty: defined(body.frequency_penalty),
    responseFormat: defined(body.response_format),
    user: defined(body.user),
  });
}
