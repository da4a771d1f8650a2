import { detectFormat } from './line-format';
import { parseLine, parseReadLine } from './parse-line';

const SEED_LINE =
  '{"key": "object-1", "request": {"contents": [{"parts": [{"text": "Describe the process of photosynthesis."}]}], "generation_config": {"temperature": 0.7}, "model": "deepseek:r1-32b"}}';

const sluice = (request: Record<string, unknown>, key: unknown = 'k1') =>
  JSON.stringify({ key, request: { model: 'openai:gpt-4o', contents: [{ parts: [{ text: 'hi' }] }], ...request } });
const openai = (body: Record<string, unknown>, top: Record<string, unknown> = {}) =>
  JSON.stringify({
    custom_id: 'c1',
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], ...body },
    ...top,
  });

describe('parseLine, the seed (Sluice/Gemini) format', () => {
  it("reads the seed's example line", () => {
    expect(parseLine(SEED_LINE, 1, 'sluice')).toEqual({
      ok: true,
      lineNo: 1,
      request: { key: 'object-1', model: 'deepseek:r1-32b', input: { text: 'Describe the process of photosynthesis.' }, params: { temperature: 0.7 } },
    });
  });

  it("keeps a multi-turn conversation as messages (model turns are the assistant's) and reads max_output_tokens", () => {
    const line = sluice({
      contents: [
        { role: 'user', parts: [{ text: 'one' }, { text: 'two' }] },
        { role: 'model', parts: [{ text: 'three' }] },
      ],
      generation_config: { max_output_tokens: 64 },
    });
    expect(parseLine(line, 3, 'sluice')).toEqual({
      ok: true,
      lineNo: 3,
      request: {
        key: 'k1',
        model: 'openai:gpt-4o',
        input: { messages: [{ role: 'user', content: 'one\ntwo' }, { role: 'assistant', content: 'three' }] },
        maxOutputTokens: 64,
      },
    });
  });

  it("accepts Gemini's camelCase generationConfig.maxOutputTokens", () => {
    const parsed = parseLine(sluice({ generationConfig: { maxOutputTokens: 10, temperature: 0 } }), 1, 'sluice');
    expect(parsed).toMatchObject({ ok: true, request: { maxOutputTokens: 10, params: { temperature: 0 } } });
  });
});

describe('parseLine: every generation parameter, or a refusal naming it', () => {
  it('maps Gemini generation_config and system_instruction onto the parameters a provider gets', () => {
    const line = sluice({
      system_instruction: { parts: [{ text: 'answer in French' }] },
      generation_config: { temperature: 1.3, top_p: 0.5, stop_sequences: ['END'], max_output_tokens: 77, seed: 3, presence_penalty: 0.5, frequency_penalty: -0.5, response_mime_type: 'application/json' },
    });
    expect(parseLine(line, 1, 'sluice')).toMatchObject({
      ok: true,
      request: {
        input: { messages: [{ role: 'system', content: 'answer in French' }, { role: 'user', content: 'hi' }] },
        maxOutputTokens: 77,
        params: { temperature: 1.3, topP: 0.5, stop: ['END'], seed: 3, presencePenalty: 0.5, frequencyPenalty: -0.5, responseFormat: { type: 'json_object' } },
      },
    });
    expect(parseLine(sluice({ generationConfig: { topP: 0.1, stopSequences: ['x'], responseMimeType: 'text/plain' } }), 1, 'sluice')).toMatchObject({
      ok: true,
      request: { params: { topP: 0.1, stop: ['x'] } },
    });
  });

  it('passes OpenAI batch body parameters on under their own meaning', () => {
    const line = openai({ temperature: 1.3, top_p: 0.5, stop: 'END', seed: 3, presence_penalty: 0.1, frequency_penalty: 0.2, response_format: { type: 'json_object' }, user: 'u1', n: 1 });
    expect(parseLine(line, 1, 'openai')).toMatchObject({
      ok: true,
      request: { params: { temperature: 1.3, topP: 0.5, stop: ['END'], seed: 3, presencePenalty: 0.1, frequencyPenalty: 0.2, responseFormat: { type: 'json_object' }, user: 'u1' } },
    });
  });

  it.each([
    ['OpenAI tools', openai({ tools: [{ type: 'function' }] }), 'openai', /^line 1: body field "tools" is not supported/],
    ['OpenAI n above 1', openai({ n: 2 }), 'openai', /^line 1: body\.n must be 1$/],
    ['OpenAI logit_bias', openai({ logit_bias: { 1: 2 } }), 'openai', /^line 1: body field "logit_bias" is not supported/],
    ['Gemini topK', sluice({ generation_config: { topK: 40 } }), 'sluice', /^line 1: request\.generation_config field "topK" is not supported/],
    ['Gemini tools', sluice({ tools: [] }), 'sluice', /^line 1: request field "tools" is not supported/],
    ['Gemini image parts', sluice({ contents: [{ parts: [{ inline_data: { data: 'x' } }] }] }), 'sluice', /^line 1: request\.contents\[0\]\.parts\[0\] field "inline_data" is not supported/],
  ])('refuses %s by name', (_what, line, format, message) => {
    expect(parseLine(line, 1, format as 'sluice' | 'openai')).toMatchObject({ ok: false, code: 'invalid_line', message: expect.stringMatching(message) });
  });
});

describe('parseLine, the OpenAI Batch format', () => {
  it('reads custom_id, model, messages and max_tokens', () => {
    const line = openai({
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hello' },
      ],
      max_tokens: 50,
      temperature: 0.2,
    });
    expect(parseLine(line, 2, 'openai')).toEqual({
      ok: true,
      lineNo: 2,
      request: {
        key: 'c1',
        model: 'gpt-4o',
        input: { messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hello' }] },
        maxOutputTokens: 50,
        params: { temperature: 0.2 },
      },
    });
  });

  it('joins array-of-text-parts content, prefers max_completion_tokens, reads null options as absent', () => {
    const line = openai({
      messages: [{ role: 'developer', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }],
      max_tokens: 50,
      max_completion_tokens: 70,
      temperature: null,
    });
    expect(parseLine(line, 1, 'openai')).toEqual({
      ok: true,
      lineNo: 1,
      request: { key: 'c1', model: 'gpt-4o', input: { messages: [{ role: 'developer', content: 'a\nb' }] }, maxOutputTokens: 70 },
    });
  });
});

describe('parseLine failures name the line and the field', () => {
  it.each([
    ['broken JSON', '{"key": "k1", "request": ', 'sluice', 'invalid_json', undefined, /^line 9: not valid JSON \(.+\)$/],
    ['an array', '[1, 2]', 'sluice', 'invalid_line', undefined, /^line 9: must be a JSON object, not an array$/],
    ['missing text', sluice({ contents: [{ parts: [{}] }] }), 'sluice', 'invalid_line', 'k1', /^line 9: request\.contents\[0\]\.parts\[0\]\.text is required$/],
    ['empty text', sluice({ contents: [{ parts: [{ text: '' }] }] }), 'sluice', 'invalid_line', 'k1', /^line 9: request\.contents\[0\]\.parts\[0\]\.text must not be empty$/],
    ['no parts', sluice({ contents: [{ parts: [] }] }), 'sluice', 'invalid_line', 'k1', /^line 9: request\.contents\[0\]\.parts must have at least 1 item$/],
    ['missing model', sluice({ model: undefined }), 'sluice', 'invalid_line', 'k1', /^line 9: request\.model is required$/],
    ['a number for a key', sluice({}, 7), 'sluice', 'invalid_line', undefined, /^line 9: key must be a string$/],
    ['a fractional max_output_tokens', sluice({ generation_config: { max_output_tokens: 1.5 } }), 'sluice', 'invalid_line', 'k1', /^line 9: request\.generation_config\.max_output_tokens must be an integer$/],
    ['a temperature over 2', sluice({ generation_config: { temperature: 3 } }), 'sluice', 'invalid_line', 'k1', /^line 9: request\.generation_config\.temperature must be at most 2$/],
    ['GET', openai({}, { method: 'GET' }), 'openai', 'invalid_line', 'c1', /^line 9: method must be "POST"$/],
    ['another endpoint', openai({}, { url: '/v1/embeddings' }), 'openai', 'invalid_line', 'c1', /^line 9: url must be "\/v1\/chat\/completions"/],
    ['a tool message', openai({ messages: [{ role: 'tool', content: 'x' }] }), 'openai', 'invalid_line', 'c1', /^line 9: body\.messages\[0\]\.role must be one of "system", "user", "assistant", "developer"$/],
    ['an image part', openai({ messages: [{ role: 'user', content: [{ type: 'image_url' }] }] }), 'openai', 'invalid_line', 'c1', /^line 9: body\.messages\[0\]\.content must be a string or an array of text parts$/],
    ['no messages', openai({ messages: [] }), 'openai', 'invalid_line', 'c1', /^line 9: body\.messages must have at least 1 item$/],
    ['zero max_tokens', openai({ max_tokens: 0 }), 'openai', 'invalid_line', 'c1', /^line 9: body\.max_tokens must be greater than 0$/],
    ['an empty user', openai({ user: '' }), 'openai', 'invalid_line', 'c1', /^line 9: body\.user must not be empty$/],
    ['no custom_id', openai({}, { custom_id: undefined }), 'openai', 'invalid_line', undefined, /^line 9: custom_id is required$/],
  ] as const)('%s', (_name, text, format, code, key, message) => {
    const parsed = parseLine(text, 9, format);
    if (parsed.ok) throw new Error(`line accepted: ${text}`);
    expect([parsed.lineNo, parsed.code, parsed.key]).toEqual([9, code, key]);
    expect(parsed.message).toMatch(message);
  });

  it('an OpenAI line in a seed-format file is a format_mismatch that keeps its custom_id', () => {
    expect(parseLine(openai({}), 4, 'sluice')).toEqual({
      ok: false,
      lineNo: 4,
      key: 'c1',
      code: 'format_mismatch',
      message:
        'line 4: is in the OpenAI Batch format ({"custom_id", "method", "url", "body"}) but this file is in the Sluice/Gemini format ({"key", "request"}); a file uses one format throughout',
    });
  });

  it('a seed line in an OpenAI file is a format_mismatch too', () => {
    expect(parseLine(SEED_LINE, 2, 'openai')).toMatchObject({ ok: false, key: 'object-1', code: 'format_mismatch' });
  });

  // PostgreSQL stores neither: such a line, accepted, used to strand its object and its task.
  it.each([
    ['a NUL in the text', sluice({ contents: [{ parts: [{ text: 'nul \u0000 here' }] }] }), 'sluice', /^line 9: request\.contents\[0\]\.parts\[0\]\.text holds a character that cannot be stored/],
    ['a lone surrogate in the key', sluice({}, 'k\ud800'), 'sluice', /^line 9: key holds a character/],
    ['a NUL in the model', sluice({ model: 'qwen\u0000' }), 'sluice', /^line 9: request\.model holds/],
    ['a lone surrogate in a message', openai({ messages: [{ role: 'user', content: 'half \udc00' }] }), 'openai', /^line 9: body\.messages\[0\]\.content holds/],
    ['a NUL in a field name', '{"key":"k1","x\\u0000":1}', 'sluice', /^line 9: x\ufffd holds/],
  ] as const)('%s is unstorable_text, without the key, and the message is storable', (_name, text, format, message) => {
    const parsed = parseLine(text, 9, format);
    expect(parsed).toEqual({ ok: false, lineNo: 9, code: 'unstorable_text', message: expect.stringMatching(message) });
  });

  it('reads escapes PostgreSQL can store (an emoji as a surrogate pair, é)', () => {
    const parsed = parseLine('{"key":"k1","request":{"model":"m","contents":[{"parts":[{"text":"hi \\ud83d\\udc4b \\u00e9"}]}]}}', 1, 'sluice');
    expect(parsed).toMatchObject({ ok: true, request: { input: { text: 'hi 👋 é' } } });
  });

  it('quotes broken JSON in its message without the characters PostgreSQL cannot store', () => {
    const parsed = parseLine('\u0000{}', 2, 'sluice');
    expect(parsed).toMatchObject({ ok: false, code: 'invalid_json' });
    expect(parsed.ok || parsed.message.includes('\u0000')).toBe(false);
  });

  it('a line over the size limit fails without being parsed', () => {
    const parsed = parseReadLine({ lineNo: 5, text: '', endOffset: 900, tooLong: { bytes: 800, limit: 512 } }, 'sluice');
    expect(parsed).toEqual({ ok: false, lineNo: 5, code: 'invalid_line', message: 'line 5: is 800 bytes long, over the limit of 512 bytes for one line' });
  });
});

describe('detectFormat', () => {
  it.each([
    ['a seed line', JSON.parse(SEED_LINE), 'sluice'],
    ['an OpenAI line', JSON.parse(openai({})), 'openai'],
    ['a seed line missing its key', { request: {} }, 'sluice'],
    ['an OpenAI line missing its custom_id', { method: 'POST', body: {} }, 'openai'],
    ['an object of neither', { input: 'hi' }, null],
    ['an array', [{ key: 'k' }], null],
    ['a string', 'key', null],
    ['null', null, null],
  ])('%s → %s', (_name, value, format) => {
    expect(detectFormat(value)).toBe(format);
  });
});
