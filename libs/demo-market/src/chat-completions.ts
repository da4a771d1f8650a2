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
});

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

/**
 * Answers one chat completion as the provider would when nothing goes wrong. Usage counts
 * message contents only (no chat-format overhead), so the exchange's own count of a
 * single-message input equals what the provider bills.
 */
export function answerChatCompletion(ctx: ChatContext, rawBody: unknown): WireReply {
  const parsed = chatRequestSchema.safeParse(rawBody);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return openAiError(400, `Invalid request: ${issue.path.join('.')}: ${issue.message}`, 'invalid_request_error', 'invalid_request', issue.path.join('.'));
  }
  const request = parsed.data;
  const offer = ctx.provider.models.find((m) => m.providerModel === request.model);
  const model = offer && ctx.catalogue.models.find((m) => m.id === offer.model);
  if (!model) {
    return openAiError(404, `The model \`${request.model}\` does not exist or you do not have access to it.`, 'invalid_request_error', 'model_not_found', 'model');
  }
  const maxTokens = request.max_completion_tokens ?? request.max_tokens ?? model.maxOutputTokens;
  if (maxTokens > model.maxOutputTokens) {
    return openAiError(400, `max_tokens is too large: ${maxTokens}. This model supports at most ${model.maxOutputTokens} completion tokens.`, 'invalid_request_error', 'invalid_value', 'max_tokens');
  }
  const prompt = promptOf(request.messages);
  const promptTokens = countTokens(model.tokenizer, prompt);
  if (promptTokens + maxTokens > model.contextTokens) {
    return openAiError(
      400,
      `This model's maximum context length is ${model.contextTokens} tokens; you requested ${promptTokens + maxTokens}.`,
      'invalid_request_error',
      'context_length_exceeded',
      'messages',
    );
  }
  const answer = generateCompletion(ctx.seed, model.id, model.tokenizer, prompt, maxTokens);
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
        prompt_tokens: promptTokens,
        completion_tokens: answer.completionTokens,
        total_tokens: promptTokens + answer.completionTokens,
      },
      system_fingerprint: null,
    },
  };
}
