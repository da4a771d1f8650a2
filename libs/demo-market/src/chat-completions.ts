import { z } from 'zod';
import { countTokens, generateCompletion } from './completion-text';
import type { DemoMarketCatalogue, DemoProviderSpec } from './demo-market.types';

export interface WireReply {
  readonly statusCode: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Completion tokens, so the caller can simulate generation time. */
  readonly completionTokens?: number;
}

/** The OpenAI error envelope, which the official SDK turns into typed errors. */
export function openAiError(statusCode: number, message: string, type: string, code: string | null, param: string | null = null): WireReply {
  return { statusCode, body: { error: { message, type, param, code } } };
}

const contentSchema = z.union([
  z.string(),
  z.null(),
  z.array(z.looseObject({ type: z.string(), text: z.string().optional() })),
]);

const chatRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(z.looseObject({ role: z.string(), content: contentSchema.optional() })).min(1),
  max_tokens: z.int().positive().nullish(),
  max_completion_tokens: z.int().positive().nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.strictObject({ include_usage: z.boolean().optional() }).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
});

/** Whether the request asked for a stream, and for its usage chunk. */
export function streamWanted(rawBody: unknown): { stream: boolean; includeUsage: boolean } {
  const body = (rawBody ?? {}) as { stream?: unknown; stream_options?: { include_usage?: unknown } | null };
  return { stream: body.stream === true, includeUsage: body.stream_options?.include_usage === true };
}

interface ChatCompletionBody {
  id: string;
  created: number;
  model: string;
  choices: { message: { content: string }; finish_reason: string }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

/**
 * A completion as OpenAI streams it: a role chunk, the text in pieces of a few words, a chunk
 * with the finish reason, then (when asked for) one with usage and no choices. The pieces
 * join to exactly the non-streamed text.
 */
export function streamChunks(body: unknown, includeUsage: boolean): unknown[] {
  const completion = body as ChatCompletionBody;
  const base = { id: completion.id, object: 'chat.completion.chunk', created: completion.created, model: completion.model, system_fingerprint: null };
  const text = completion.choices[0]?.message.content ?? '';
  const pieces = text.match(/\S*\s*/g)?.filter((p) => p !== '') ?? [];
  const perChunk = Math.max(1, Math.ceil(pieces.length / 16));
  const chunks: unknown[] = [{ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] }];
  for (let i = 0; i < pieces.length; i += perChunk) {
    chunks.push({ ...base, choices: [{ index: 0, delta: { content: pieces.slice(i, i + perChunk).join('') }, logprobs: null, finish_reason: null }] });
  }
  chunks.push({ ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: completion.choices[0]?.finish_reason ?? 'stop' }] });
  if (includeUsage) chunks.push({ ...base, choices: [], usage: completion.usage });
  return chunks;
}

function promptOf(messages: z.infer<typeof chatRequestSchema>['messages']): string {
  return messages
    .map(({ content }) => (Array.isArray(content) ? content.map((part) => part.text ?? '').join('') : (content ?? '')))
    .join('\n');
}

export interface ChatContext {
  readonly seed: string;
  readonly catalogue: DemoMarketCatalogue;
  readonly provider: DemoProviderSpec;
  readonly completionId: string;
  readonly createdAtSeconds: number;
}

/** What any family's endpoint generates for a prompt, before its own envelope. */
export type GeneratedAnswer =
  | { readonly ok: true; readonly promptTokens: number; readonly text: string; readonly completionTokens: number; readonly finishReason: 'stop' | 'length' }
  | { readonly ok: false; readonly statusCode: number; readonly kind: 'model_not_found' | 'invalid_value' | 'context_length_exceeded'; readonly message: string };

/**
 * The model's answer to a prompt, as every family's demo endpoint gives it: the provider model
 * must be one the provider offers, `maxTokens` within the model's limit and the prompt within
 * its context. Usage counts the prompt's text only (no chat-format overhead), so the
 * exchange's own count of a single-message input equals what the provider bills.
 */
export function generateAnswer(ctx: ChatContext, providerModel: string, prompt: string, requestedMaxTokens: number | null | undefined): GeneratedAnswer {
  const offer = ctx.provider.models.find((m) => m.providerModel === providerModel);
  const model = offer && ctx.catalogue.models.find((m) => m.id === offer.model);
  if (!model) {
    return { ok: false, statusCode: 404, kind: 'model_not_found', message: `The model \`${providerModel}\` does not exist or you do not have access to it.` };
  }
  const maxTokens = requestedMaxTokens ?? model.maxOutputTokens;
  if (maxTokens > model.maxOutputTokens) {
    return { ok: false, statusCode: 400, kind: 'invalid_value', message: `max_tokens is too large: ${maxTokens}. This model supports at most ${model.maxOutputTokens} completion tokens.` };
  }
  const promptTokens = countTokens(model.tokenizer, prompt);
  if (promptTokens + maxTokens > model.contextTokens) {
    return { ok: false, statusCode: 400, kind: 'context_length_exceeded', message: `This model's maximum context length is ${model.contextTokens} tokens; you requested ${promptTokens + maxTokens}.` };
  }
  const answer = generateCompletion(ctx.seed, model.id, model.tokenizer, prompt, maxTokens);
  return { ok: true, promptTokens, ...answer };
}

/** Answers one chat completion as the provider would when nothing goes wrong. */
export function answerChatCompletion(ctx: ChatContext, rawBody: unknown): WireReply {
  const parsed = chatRequestSchema.safeParse(rawBody);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return openAiError(400, `Invalid request: ${issue.path.join('.')}: ${issue.message}`, 'invalid_request_error', 'invalid_request', issue.path.join('.'));
  }
  const request = parsed.data;
  const answer = generateAnswer(ctx, request.model, promptOf(request.messages), request.max_completion_tokens ?? request.max_tokens);
  if (!answer.ok) {
    const param = { model_not_found: 'model', invalid_value: 'max_tokens', context_length_exceeded: 'messages' }[answer.kind];
    return openAiError(answer.statusCode, answer.message, 'invalid_request_error', answer.kind, param);
  }
  return {
    statusCode: 200,
    completionTokens: answer.completionTokens,
    body: {
      id: ctx.completionId,
      object: 'chat.completion',
      created: ctx.createdAtSeconds,
      model: request.model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: answer.text, refusal: null },
          logprobs: null,
          finish_reason: answer.finishReason,
        },
      ],
      usage: {
        prompt_tokens: answer.promptTokens,
        completion_tokens: answer.completionTokens,
        total_tokens: answer.promptTokens + answer.completionTokens,
      },
      system_fingerprint: null,
    },
  };
}
