import { z } from 'zod';
import type { ChatMessage } from '@sluice/events';
import { MAX_JSON_DEPTH, MAX_PRICE_MESSAGE, MAX_PRICE_USD, METADATA_TOO_LARGE_MESSAGE, UNSTORABLE_MESSAGE, isStorableJson, isStorableText, metadataFits } from '../errors/storable-text';
import { GenerationFields, generationParamsOf } from '../generation/generation-fields';
import { routingOf, type GatewayRequest } from '../realtime/submit-realtime.decider';

const text = (field: string) => z.string(`${field} must be a string`).refine(isStorableText, `${field} ${UNSTORABLE_MESSAGE}`);

/** A content part: only text reaches a provider through Sluice today. */
const ContentPart = z.strictObject({
  type: z.literal('text', 'only text content parts are supported (no image_url, input_audio or file parts)'),
  text: text('text'),
});

const Message = z.strictObject(
  {
    role: z.enum(['system', 'developer', 'user', 'assistant'], 'role is one of system, developer, user, assistant (tool messages need tools, which are not supported)'),
    content: z.union([text('content'), z.array(ContentPart).min(1, 'content needs at least one part')], 'content must be a string or an array of text parts'),
  },
  'each message is an object with role and content (name, tool_calls and audio are not supported)',
);

/**
 * OpenAI's fields Sluice cannot honour: refused by name rather than dropped, with the reason.
 * Everything not listed here or in the schema is refused as unknown.
 */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  tools: 'tool calling is not supported by any provider route of Sluice yet',
  tool_choice: 'tool calling is not supported by any provider route of Sluice yet',
  parallel_tool_calls: 'tool calling is not supported by any provider route of Sluice yet',
  functions: 'function calling is not supported',
  function_call: 'function calling is not supported',
  audio: 'audio output is not supported',
  modalities: 'only text output is supported',
  logprobs: 'log probabilities are not returned through Sluice',
  top_logprobs: 'log probabilities are not returned through Sluice',
  logit_bias: 'logit_bias is not passed on by every provider, so Sluice refuses it',
  prediction: 'predicted outputs are not supported',
  web_search_options: 'web search is not supported',
  reasoning_effort: 'reasoning_effort is not supported yet',
  service_tier: 'service tiers are chosen by Sluice routing (performance_profile), not by service_tier',
};

/** OpenAI's chat-completions body plus Sluice's routing fields, named as on /v1/inference. */
const ChatBody = z.looseObject({
  model: text('model').trim().min(1, 'model is required'),
  messages: z.array(Message, 'messages must be an array of messages').min(1, 'messages needs at least one message'),
  max_tokens: z.int('max_tokens must be a whole number').positive('max_tokens must be at least 1').nullish(),
  max_completion_tokens: z.int('max_completion_tokens must be a whole number').positive('max_completion_tokens must be at least 1').nullish(),
  ...GenerationFields,
  n: z.literal(1, 'n must be 1: Sluice returns one choice per request').nullish(),
  stream: z.boolean('stream must be true or false').nullish(),
  stream_options: z.strictObject({ include_usage: z.boolean().optional() }, 'stream_options takes include_usage only').nullish(),
  store: z.literal(false, 'store: true is not supported (Sluice keeps the answer for GET /v1/inference/{id} anyway)').nullish(),
  metadata: z
    .record(z.string(), z.unknown(), 'metadata must be a JSON object')
    .refine(isStorableJson, `metadata ${UNSTORABLE_MESSAGE}, or nests deeper than ${MAX_JSON_DEPTH} levels`)
    .refine(metadataFits, METADATA_TOO_LARGE_MESSAGE)
    .nullish(),
  // Sluice's routing, the same words as POST /v1/inference.
  performance_profile: z.enum(['economy', 'balanced', 'fast'], 'performance_profile is one of economy, balanced, fast').default('balanced'),
  routing_strategy: z.enum(['lowest_cost', 'prefer_live'], 'routing_strategy is one of lowest_cost, prefer_live').default('lowest_cost'),
  max_price_usd: z.number('max_price_usd must be a number').positive('max_price_usd must be above 0').max(MAX_PRICE_USD, MAX_PRICE_MESSAGE).optional(),
  max_latency_ms: z.int('max_latency_ms must be a whole number of milliseconds').positive('max_latency_ms must be at least 1').optional(),
  customer_ref: text('customer_ref').max(256, 'customer_ref is at most 256 characters').optional(),
});

export const ChatCompletionRequestSchema = ChatBody.superRefine((body, ctx) => {
  for (const key of Object.keys(body)) {
    if (key in ChatBody.shape) continue;
    const reason = UNSUPPORTED[key];
    ctx.addIssue({ code: 'custom', path: [key], message: reason ? `${key} is not supported: ${reason}` : `${key} is not a chat-completions field Sluice knows` });
  }
  if (body.max_tokens != null && body.max_completion_tokens != null && body.max_tokens !== body.max_completion_tokens) {
    ctx.addIssue({ code: 'custom', path: ['max_tokens'], message: 'max_tokens and max_completion_tokens differ; send one of them' });
  }
  if (body.stream_options != null && body.stream !== true) {
    ctx.addIssue({ code: 'custom', path: ['stream_options'], message: 'stream_options is only allowed with stream: true' });
  }
});
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequestSchema>;

function messagesOf(request: ChatCompletionRequest): ChatMessage[] {
  return request.messages.map((m) => ({ role: m.role, content: typeof m.content === 'string' ? m.content : m.content.map((part) => part.text).join('') }));
}

/** The chat request as the gateway runs it. */
export function toGatewayRequest(request: ChatCompletionRequest): GatewayRequest {
  const maxOutputTokens = request.max_completion_tokens ?? request.max_tokens ?? undefined;
  const params = generationParamsOf(request);
  return {
    model: request.model,
    prompt: messagesOf(request),
    ...(maxOutputTokens !== undefined ? { maxOutputTokens } : {}),
    maxOutputTokensField: request.max_completion_tokens != null ? 'max_completion_tokens' : 'max_tokens',
    ...(params ? { params } : {}),
    ...routingOf(request),
  };
}
