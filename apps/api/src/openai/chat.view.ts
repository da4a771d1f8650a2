import { inferenceResponse, type Answer, type InferenceResponse } from '../realtime/realtime.view';

/** Chat completion ids are the inference's id behind OpenAI's prefix (GET /v1/inference/{id} takes either). */
export const CHAT_ID_PREFIX = 'chatcmpl-';
export const chatCompletionId = (objectId: string) => `${CHAT_ID_PREFIX}${objectId}`;

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: [{ index: 0; message: { role: 'assistant'; content: string; refusal: null }; logprobs: null; finish_reason: string }];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  system_fingerprint: null;
  /** Extensions: the seed's billing block and the performance block of /v1/inference. */
  billing: InferenceResponse['billing'];
  performance: InferenceResponse['performance'];
}

/** OpenAI's finish reasons; a provider's own word for running out of tokens is `length`. */
function finishReason(reason: string | undefined): string {
  if (reason === undefined || reason === '') return 'stop';
  return reason === 'max_tokens' ? 'length' : reason;
}

/** OpenAI's chat.completion object for a served request (`created` in seconds). */
export function chatCompletion(answer: Answer, created: number): ChatCompletion {
  const inference = inferenceResponse(answer);
  return {
    id: chatCompletionId(answer.objectId),
    object: 'chat.completion',
    created,
    model: answer.model,
    choices: [{ index: 0, message: { role: 'assistant', content: answer.text, refusal: null }, logprobs: null, finish_reason: finishReason(answer.finishReason) }],
    usage: { prompt_tokens: answer.inputTokens, completion_tokens: answer.outputTokens, total_tokens: answer.inputTokens + answer.outputTokens },
    system_fingerprint: null,
    billing: inference.billing,
    performance: inference.performance,
  };
}

interface ChunkBase {
  id: string;
  created: number;
  model: string;
}

/** One `chat.completion.chunk`. */
function chunk(base: ChunkBase, choices: unknown[], extra: Record<string, unknown> = {}) {
  return { id: base.id, object: 'chat.completion.chunk', created: base.created, model: base.model, system_fingerprint: null, choices, ...extra };
}

/** The chunks a stream opens with (the assistant's role) and carries the text in. */
export const roleChunk = (base: ChunkBase) => chunk(base, [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]);
export const textChunk = (base: ChunkBase, text: string) => chunk(base, [{ index: 0, delta: { content: text }, logprobs: null, finish_reason: null }]);

/**
 * The chunks that end a stream once the request is recorded: the finish reason, then, when
 * the client asked for usage (`stream_options.include_usage`), usage with no choices, and
 * the billing block as an extension.
 */
export function closingChunks(completion: ChatCompletion, includeUsage: boolean): unknown[] {
  const finish = chunk(completion, [{ index: 0, delta: {}, logprobs: null, finish_reason: completion.choices[0].finish_reason }]);
  if (!includeUsage) return [finish];
  return [finish, chunk(completion, [], { usage: completion.usage, billing: completion.billing, performance: completion.performance })];
}

/** A stored completion (an Idempotency-Key replay) as a stream. */
export function replayChunks(completion: ChatCompletion, includeUsage: boolean): unknown[] {
  const text = completion.choices[0].message.content;
  return [roleChunk(completion), ...(text ? [textChunk(completion, text)] : []), ...closingChunks(completion, includeUsage)];
}
