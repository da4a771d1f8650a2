import { z } from 'zod';
import { generateAnswer, type ChatContext, type WireReply } from './chat-completions';

/** Anthropic's error envelope, which its official SDK turns into typed errors. */
export function anthropicError(statusCode: number, type: string, message: string): WireReply {
  return { statusCode, body: { type: 'error', error: { type, message }, request_id: `req_demo_${statusCode}` } };
}

const textBlock = z.strictObject({ type: z.literal('text'), text: z.string(), cache_control: z.unknown().optional() });

/**
 * The Messages API request as its reference documents it: what Sluice sends, and nothing it
 * does not know (an unknown field is refused with Anthropic's own wording, so a wrong name
 * surfaces in tests instead of being ignored).
 */
export const messagesRequestSchema = z.strictObject({
  model: z.string().min(1),
  max_tokens: z.int().positive(),
  messages: z
    .array(z.strictObject({ role: z.enum(['user', 'assistant']), content: z.union([z.string(), z.array(textBlock).min(1)]) }))
    .min(1)
    .refine((m) => m[0].role === 'user', 'first message must use the "user" role'),
  system: z.union([z.string(), z.array(textBlock)]).optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.int().nonnegative().optional(),
  stop_sequences: z.array(z.string()).optional(),
  stream: z.boolean().optional(),
  metadata: z.strictObject({ user_id: z.string().max(256).nullish() }).optional(),
  output_config: z
    .strictObject({ format: z.strictObject({ type: z.literal('json_schema'), schema: z.record(z.string(), z.unknown()) }).nullish(), effort: z.string().nullish() })
    .optional(),
  service_tier: z.enum(['auto', 'standard_only']).optional(),
});
export type MessagesRequest = z.infer<typeof messagesRequestSchema>;

function textOf(content: string | readonly { text: string }[]): string {
  return typeof content === 'string' ? content : content.map((block) => block.text).join('');
}

/** System text first, then every turn, as the OpenAI endpoint counts a conversation. */
function promptOf(request: MessagesRequest): string {
  return [...(request.system !== undefined ? [textOf(request.system)] : []), ...request.messages.map((m) => textOf(m.content))].join('\n');
}

/** Parses and answers one Messages request; `reply` is Anthropic's message object or error. */
export function answerMessage(ctx: ChatContext, rawBody: unknown): WireReply {
  const parsed = messagesRequestSchema.safeParse(rawBody);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const extra = issue.code === 'unrecognized_keys' ? issue.keys.map((key) => [...issue.path, key].join('.')).join(', ') : null;
    return anthropicError(400, 'invalid_request_error', extra ? `${extra}: Extra inputs are not permitted` : `${issue.path.join('.')}: ${issue.message}`);
  }
  const request = parsed.data;
  const answer = generateAnswer(ctx, request.model, promptOf(request), request.max_tokens);
  if (!answer.ok) {
    return answer.kind === 'model_not_found'
      ? anthropicError(404, 'not_found_error', `model: ${request.model}`)
      : anthropicError(400, 'invalid_request_error', answer.message.replace('max_tokens is too large', 'max_tokens: too large'));
  }
  return {
    statusCode: 200,
    completionTokens: answer.completionTokens,
    body: {
      id: `msg_${ctx.completionId}`,
      type: 'message',
      role: 'assistant',
      model: request.model,
      content: [{ type: 'text', text: answer.text }],
      stop_reason: answer.finishReason === 'length' ? 'max_tokens' : 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: answer.promptTokens, output_tokens: answer.completionTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    },
  };
}

interface MessageBody {
  id: string;
  model: string;
  content: { text: string }[];
  stop_reason: string;
  usage: { input_tokens: number; output_tokens: number; cache_creation_input_tokens: number; cache_read_input_tokens: number };
}

/**
 * A message as Anthropic streams it: message_start (input usage), a text block opened, its
 * text in deltas of a few words, closed, message_delta (stop reason, output usage), then
 * message_stop. The deltas join to exactly the non-streamed text.
 */
export function messageStreamEvents(body: unknown): { event: string; data: unknown }[] {
  const message = body as MessageBody;
  const text = message.content[0]?.text ?? '';
  const pieces = text.match(/\S*\s*/g)?.filter((p) => p !== '') ?? [];
  const perEvent = Math.max(1, Math.ceil(pieces.length / 16));
  const events: { event: string; data: unknown }[] = [
    {
      event: 'message_start',
      data: {
        type: 'message_start',
        message: { ...message, content: [], stop_reason: null, stop_sequence: null, usage: { ...message.usage, output_tokens: 1 } },
      },
    },
    { event: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } } },
    { event: 'ping', data: { type: 'ping' } },
  ];
  for (let i = 0; i < pieces.length; i += perEvent) {
    events.push({ event: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: pieces.slice(i, i + perEvent).join('') } } });
  }
  events.push(
    { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
    { event: 'message_delta', data: { type: 'message_delta', delta: { stop_reason: message.stop_reason, stop_sequence: null }, usage: { output_tokens: message.usage.output_tokens } } },
    { event: 'message_stop', data: { type: 'message_stop' } },
  );
  return events;
}
