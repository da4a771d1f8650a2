export type OutputResult = { text: string } | { error: { code: string; message: string } };

/**
 * One line of a task's output file, newline included: exactly `{"key","output":{"type":"text","text"}}`
 * for a completed object or `{"key","error":{"code","message"}}` for a failed one (no other fields).
 */
export function outputLine(key: string, result: OutputResult): string {
  const line =
    'error' in result
      ? { key, error: { code: result.error.code, message: result.error.message } }
      : { key, output: { type: 'text', text: result.text } };
  return `${JSON.stringify(line)}\n`;
}

/** One object's end as OpenAI's Batch API reports it in its output or error file. */
export type OpenAiBatchResult =
  | {
      completed: {
        model: string;
        text: string;
        inputTokens: number;
        outputTokens: number;
        finishReason: 'stop' | 'length';
        /** Unix seconds. */
        created: number;
      };
    }
  | { error: { code: string; message: string } };

/**
 * One line of an OpenAI batch's output file (a success: `response` holds the chat completion,
 * `error` null) or error file (a request that did not run or failed: `response` null), newline
 * included. `requestId` identifies the request (the object) in `id`, `request_id` and the body's `id`.
 */
export function openAiBatchLine(requestId: string, customId: string, result: OpenAiBatchResult): string {
  const id = `batch_req_${requestId}`;
  if ('error' in result) return `${JSON.stringify({ id, custom_id: customId, response: null, error: { code: result.error.code, message: result.error.message } })}\n`;
  const c = result.completed;
  const body = {
    id: `chatcmpl-${requestId}`,
    object: 'chat.completion',
    created: c.created,
    model: c.model,
    choices: [{ index: 0, message: { role: 'assistant', content: c.text, refusal: null }, logprobs: null, finish_reason: c.finishReason }],
    usage: { prompt_tokens: c.inputTokens, completion_tokens: c.outputTokens, total_tokens: c.inputTokens + c.outputTokens },
  };
  return `${JSON.stringify({ id, custom_id: customId, response: { status_code: 200, request_id: requestId, body }, error: null })}\n`;
}
