import { z } from 'zod';

/** Both formats: OpenAI and Gemini accept 0–2. Null reads as absent (SDKs serialise unset options as null). */
const temperature = z.number().min(0).max(2).nullish();
const maxTokens = z.number().int().positive().nullish();
const nonEmpty = z.string().min(1);

const generationConfig = z.object({
  temperature,
  max_output_tokens: maxTokens,
  maxOutputTokens: maxTokens,
});

export const sluiceLineSchema = z.object({
  key: nonEmpty,
  request: z.object({
    model: nonEmpty,
    contents: z
      .array(
        z.object({
          role: z.string().optional(),
          parts: z.array(z.object({ text: nonEmpty })).min(1),
        }),
      )
      .min(1),
    generation_config: generationConfig.nullish(),
    /** Gemini's REST JSON spells it in camelCase; either is accepted. */
    generationConfig: generationConfig.nullish(),
  }),
});
export type SluiceLine = z.output<typeof sluiceLineSchema>;

const textPart = z.object({ type: z.literal('text'), text: z.string() });

export const openaiLineSchema = z.object({
  custom_id: nonEmpty,
  method: z.literal('POST'),
  url: z.literal('/v1/chat/completions', { error: 'must be "/v1/chat/completions" (the only endpoint a batch file can call)' }),
  body: z.object({
    model: nonEmpty,
    messages: z
      .array(
        z.object({
          role: z.enum(['system', 'user', 'assistant', 'developer']),
          content: z.union([z.string(), z.array(textPart)], {
            error: (iss) => (iss.input === undefined ? 'is required' : 'must be a string or an array of text parts'),
          }),
        }),
      )
      .min(1),
    max_tokens: maxTokens,
    max_completion_tokens: maxTokens,
    temperature,
  }),
});
export type OpenaiLine = z.output<typeof openaiLineSchema>;

const withArticle = (type: string) => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);

/**
 * Per-field phrases, completed by the field path: "request.model is required", "body.max_tokens must be
 * an integer". Zod's own wording ("Invalid input: expected string, received undefined") is for developers.
 */
export const fieldErrorMap: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case 'invalid_type':
      if (iss.input === undefined) return 'is required';
      if (iss.expected === 'int') return 'must be an integer';
      return `must be ${withArticle(iss.expected)}`;
    case 'too_small':
      if (iss.origin === 'string') return 'must not be empty';
      if (iss.origin === 'array') return `must have at least ${iss.minimum} item${iss.minimum === 1 ? '' : 's'}`;
      return iss.inclusive ? `must be at least ${iss.minimum}` : `must be greater than ${iss.minimum}`;
    case 'too_big':
      return iss.inclusive ? `must be at most ${iss.maximum}` : `must be less than ${iss.maximum}`;
    case 'invalid_value':
      return iss.values.length === 1
        ? `must be ${JSON.stringify(iss.values[0])}`
        : `must be one of ${iss.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return undefined;
  }
};

/** `['request', 'contents', 0, 'parts', 0, 'text']` → `request.contents[0].parts[0].text` */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}
