import { z } from 'zod';

/** Both formats: OpenAI and Gemini accept 0–2. Null reads as absent (SDKs serialise unset options as null). */
const temperature = z.number().min(0).max(2).nullish();
const topP = z.number().min(0).max(1).nullish();
const penalty = z.number().min(-2).max(2).nullish();
const seed = z.number().int().nullish();
const maxTokens = z.number().int().positive().nullish();
const nonEmpty = z.string().min(1);
const stopList = z.array(nonEmpty).min(1).max(4).nullish();

/**
 * Gemini's generation config, in either spelling (REST JSON is camelCase, the seed snake_case).
 * Strict: a field Sluice cannot pass on fails the line, naming it, rather than being dropped.
 */
const generationConfig = z.strictObject({
  temperature,
  top_p: topP,
  topP,
  max_output_tokens: maxTokens,
  maxOutputTokens: maxTokens,
  stop_sequences: stopList,
  stopSequences: stopList,
  seed,
  presence_penalty: penalty,
  presencePenalty: penalty,
  frequency_penalty: penalty,
  frequencyPenalty: penalty,
  response_mime_type: z.enum(['text/plain', 'application/json']).nullish(),
  responseMimeType: z.enum(['text/plain', 'application/json']).nullish(),
  candidate_count: z.literal(1).nullish(),
  candidateCount: z.literal(1).nullish(),
});
export type GenerationConfig = z.output<typeof generationConfig>;

const geminiContent = z.strictObject({
  /** user, or model (the assistant's earlier turns); absent means user. */
  role: z.enum(['user', 'model']).optional(),
  parts: z.array(z.strictObject({ text: nonEmpty })).min(1),
});
const systemInstruction = z.strictObject({ role: z.string().optional(), parts: z.array(z.strictObject({ text: nonEmpty })).min(1) });

export const sluiceLineSchema = z.strictObject({
  key: nonEmpty,
  request: z.strictObject({
    model: nonEmpty,
    contents: z.array(geminiContent).min(1),
    system_instruction: systemInstruction.nullish(),
    systemInstruction: systemInstruction.nullish(),
    generation_config: generationConfig.nullish(),
    /** Gemini's REST JSON spells it in camelCase; either is accepted. */
    generationConfig: generationConfig.nullish(),
  }),
});
export type SluiceLine = z.output<typeof sluiceLineSchema>;

const textPart = z.strictObject({ type: z.literal('text'), text: z.string() });

const responseFormat = z.union([
  z.strictObject({ type: z.literal('text') }),
  z.strictObject({ type: z.literal('json_object') }),
  z.strictObject({ type: z.literal('json_schema'), json_schema: z.looseObject({ name: nonEmpty }) }),
]);

export const openaiLineSchema = z.strictObject({
  custom_id: nonEmpty,
  method: z.literal('POST'),
  url: z.literal('/v1/chat/completions', { error: 'must be "/v1/chat/completions" (the only endpoint a batch file can call)' }),
  body: z.strictObject({
    model: nonEmpty,
    messages: z
      .array(
        z.strictObject({
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
    top_p: topP,
    stop: z.union([nonEmpty, z.array(nonEmpty).min(1).max(4)]).nullish(),
    seed,
    presence_penalty: penalty,
    frequency_penalty: penalty,
    response_format: responseFormat.nullish(),
    // Empty would pass here and be refused by the event's schema after the line was accepted (the task never ended).
    user: nonEmpty.max(256).nullish(),
    n: z.literal(1).nullish(),
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
    case 'unrecognized_keys':
      return `${iss.keys.length === 1 ? `field ${JSON.stringify(iss.keys[0])} is` : `fields ${iss.keys.map((k) => JSON.stringify(k)).join(', ')} are`} not supported (Sluice passes on only what it can send to every provider)`;
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
