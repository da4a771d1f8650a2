import { openAiBatchLine, outputLine } from './output-line';

describe('outputLine', () => {
  it("writes a completed object as the seed's output line", () => {
    expect(outputLine('object-1', { text: 'Photosynthesis is the process…' })).toBe(
      '{"key":"object-1","output":{"type":"text","text":"Photosynthesis is the process…"}}\n',
    );
  });

  it('writes a failed object with its code and message only', () => {
    const result = { error: { code: 'invalid_line', message: 'line 2: request.model is required', detail: 'x' } };
    expect(outputLine('object-2', result)).toBe('{"key":"object-2","error":{"code":"invalid_line","message":"line 2: request.model is required"}}\n');
  });

  it('keeps a text with newlines and quotes on one line that parses back to it', () => {
    const text = 'line one\nline "two"\r\n\u2028end';
    const line = outputLine('k', { text });
    expect(line.indexOf('\n')).toBe(line.length - 1);
    expect(JSON.parse(line)).toEqual({ key: 'k', output: { type: 'text', text } });
  });
});

describe('openAiBatchLine', () => {
  it("writes a success as OpenAI's output line: the chat completion in response.body, error null", () => {
    const line = openAiBatchLine('obj-1', 'request-1', { completed: { model: 'meta:llama-3.1-8b', text: 'Hi "there"', inputTokens: 12, outputTokens: 3, finishReason: 'stop', created: 1_700_000_000 } });
    expect(line.endsWith('\n')).toBe(true);
    expect(JSON.parse(line)).toEqual({
      id: 'batch_req_obj-1',
      custom_id: 'request-1',
      response: {
        status_code: 200,
        request_id: 'obj-1',
        body: {
          id: 'chatcmpl-obj-1',
          object: 'chat.completion',
          created: 1_700_000_000,
          model: 'meta:llama-3.1-8b',
          choices: [{ index: 0, message: { role: 'assistant', content: 'Hi "there"', refusal: null }, logprobs: null, finish_reason: 'stop' }],
          usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 },
        },
      },
      error: null,
    });
  });

  it("writes a failure as OpenAI's error line: response null, the code and message in error", () => {
    expect(openAiBatchLine('obj-2', 'request-2', { error: { code: 'batch_cancelled', message: 'the batch was cancelled' } })).toBe(
      '{"id":"batch_req_obj-2","custom_id":"request-2","response":null,"error":{"code":"batch_cancelled","message":"the batch was cancelled"}}\n',
    );
  });
});
