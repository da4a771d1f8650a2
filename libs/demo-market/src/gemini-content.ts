import { z } from 'zod';
import { generateAnswer, type ChatContext, type WireReply } from './chat-completions';

const statusNames: Readonly<Record<number, string>> = {
  400: 'INVALID_ARGUMENT',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

/** Google's error envelope (a google.rpc.Status with its HTTP code). */
export function geminiError(statusCode: number, message: string, details?: readonly unknown[]): WireReply {
  return { statusCode, body: { error: { code: statusCode, message, status: statusNames[statusCode] ?? 'UNKNOWN', ...(details ? { details } : {}) } } };
}

/** What Gemini answers to a key it does not know: a 400 whose ErrorInfo says why. */
export function geminiBadKey(): WireReply {
  return geminiError(400, 'API key not valid. Please pass a valid API key.', [
    { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' },
  ]);
}

const content = z.strictObject({ role: z.enum(['user', 'model']).optional(), parts: z.array(z.strictObject({ text: z.string() })).min(1) });

/** generationConfig as the API reference spells it; an unknown name is refused, as Google does. */
const generationConfig = z.strictObject({
  temperature: z.number().min(0).max(2).optional(),
  topP: z.number().min(0).max(1).optional(),
  topK: z.int().positive().optional(),
  candidateCount: z.int().positive().optional(),
  maxOutputTokens: z.int().positive().optional(),
  stopSequences: z.array(z.string()).max(5).optional(),
  seed: z.int().optional(),
  presencePenalty: z.number().optional(),
  frequencyPenalty: z.number().optional(),
  responseMimeType: z.enum(['text/plain', 'application/json', 'text/x.enum']).optional(),
  responseJsonSchema: z.unknown().optional(),
  responseSchema: z.unknown().optional(),
  thinkingConfig: z.unknown().optional(),
});

export const generateContentRequestSchema = z.strictObject({
  /** Present in a Batch Mode request, which names its model. */
  model: z.string().optional(),
  contents: z.array(content).min(1),
  systemInstruction: content.optional(),
  generationConfig: generationConfig.optional(),
  safetySettings: z.array(z.unknown()).optional(),
  tools: z.array(z.unknown()).optional(),
  toolConfig: z.unknown().optional(),
  cachedContent: z.string().optional(),
});
export type GenerateContentRequest = z.infer<typeof generateContentRequestSchema>;

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Answers one generateContent request for `model` (the id in the path, without `models/`). */
export function answerGenerateContent(ctx: ChatContext, model: string, rawBody: unknown): WireReply {
  const parsed = generateContentRequestSchema.safeParse(rawBody);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue.code === 'unrecognized_keys') {
      const at = issue.path.length > 0 ? `'${issue.path.map((p) => snake(String(p))).join('.')}'` : 'root';
      return geminiError(400, `Invalid JSON payload received. Unknown name "${issue.keys[0]}" at ${at}: Cannot find field.`);
    }
    return geminiError(400, `Invalid value at '${issue.path.map((p) => snake(String(p))).join('.')}': ${issue.message}`);
  }
  const request = parsed.data;
  const texts = [...(request.systemInstruction?.parts ?? []), ...request.contents.flatMap((c) => c.parts)].map((p) => p.text);
  const answer = generateAnswer(ctx, model, texts.join('\n'), request.generationConfig?.maxOutputTokens);
  if (!answer.ok) {
    return answer.kind === 'model_not_found'
      ? geminiError(404, `models/${model} is not found for API version v1beta, or is not supported for generateContent.`)
      : geminiError(400, answer.message);
  }
  return {
    statusCode: 200,
    completionTokens: answer.completionTokens,
    body: {
      candidates: [{ content: { parts: [{ text: answer.text }], role: 'model' }, finishReason: answer.finishReason === 'length' ? 'MAX_TOKENS' : 'STOP', index: 0 }],
      usageMetadata: {
        promptTokenCount: answer.promptTokens,
        candidatesTokenCount: answer.completionTokens,
        totalTokenCount: answer.promptTokens + answer.completionTokens,
        promptTokensDetails: [{ modality: 'TEXT', tokenCount: answer.promptTokens }],
      },
      modelVersion: model,
      responseId: ctx.completionId,
    },
  };
}

interface ContentBody {
  candidates: { content: { parts: { text: string }[]; role: string }; finishReason: string; index: number }[];
  usageMetadata: { promptTokenCount: number; candidatesTokenCount: number; totalTokenCount: number };
  modelVersion: string;
  responseId: string;
}

/**
 * A response as `streamGenerateContent?alt=sse` sends it: partial responses of a few words
 * each, the finish reason and the whole usage on the last. The parts join to exactly the
 * non-streamed text.
 */
export function contentStreamChunks(body: unknown): unknown[] {
  const response = body as ContentBody;
  const text = response.candidates[0]?.content.parts[0]?.text ?? '';
  const pieces = text.match(/\S*\s*/g)?.filter((p) => p !== '') ?? [];
  const perChunk = Math.max(1, Math.ceil(pieces.length / 16));
  const groups: string[] = [];
  for (let i = 0; i < pieces.length; i += perChunk) groups.push(pieces.slice(i, i + perChunk).join(''));
  if (groups.length === 0) groups.push('');
  const { promptTokenCount } = response.usageMetadata;
  return groups.map((piece, i) => {
    const last = i === groups.length - 1;
    return {
      candidates: [{ content: { parts: [{ text: piece }], role: 'model' }, index: 0, ...(last ? { finishReason: response.candidates[0]?.finishReason } : {}) }],
      usageMetadata: last ? response.usageMetadata : { promptTokenCount, totalTokenCount: promptTokenCount },
      modelVersion: response.modelVersion,
      responseId: response.responseId,
    };
  });
}
