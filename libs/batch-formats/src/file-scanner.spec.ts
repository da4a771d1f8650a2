import { describeDuplicate, FileScanner, MAX_MODELS_TALLIED, type FileScan } from './file-scanner';

const seed = (key: string) => JSON.stringify({ key, request: { model: 'm', contents: [{ parts: [{ text: `about ${key}` }] }] } });
const openai = (customId: string) =>
  JSON.stringify({ custom_id: customId, method: 'POST', url: '/v1/chat/completions', body: { model: 'm', messages: [{ role: 'user', content: 'hi' }] } });

function scan(text: string, chunkSize = Infinity): FileScan {
  const bytes = Buffer.from(text);
  const scanner = new FileScanner();
  for (let i = 0; i < bytes.length; i += Math.min(chunkSize, bytes.length)) scanner.write(bytes.subarray(i, i + chunkSize));
  return scanner.end();
}

describe('FileScanner', () => {
  it('counts non-blank lines, bad ones included, and detects the seed format', () => {
    const text = [seed('a'), '', seed('b'), '{broken', '   ', seed('c')].join('\n');
    expect(scan(text)).toEqual({ items: 4, format: 'sluice', bytes: Buffer.byteLength(text), models: [{ model: 'm', lines: 3, maxOutputTokens: 0, linesWithoutMax: 3 }] });
  });

  it('detects the format from the first line that is JSON of a known shape', () => {
    expect(scan(['{broken', '[1]', '{"note": 1}', openai('x'), seed('y')].join('\n'))).toMatchObject({ items: 5, format: 'openai' });
    expect(scan('{broken\n').format).toBeNull();
    expect(scan('')).toEqual({ items: 0, format: null, bytes: 0, models: [] });
  });

  it('finds the first duplicate key with both line numbers, and still counts every line', () => {
    const text = [seed('a'), seed('b'), '', seed('c'), seed('b'), seed('a'), seed('d')].join('\r\n');
    expect(scan(text)).toMatchObject({ items: 6, duplicate: { key: 'b', firstLineNo: 2, lineNo: 5 } });
  });

  it("reads OpenAI keys from custom_id, and ignores keys of lines in the file's other format", () => {
    expect(scan([openai('x'), openai('y'), openai('x')].join('\n')).duplicate).toEqual({ key: 'x', firstLineNo: 1, lineNo: 3 });
    expect(scan([openai('x'), seed('x'), openai('y')].join('\n'))).toEqual(expect.not.objectContaining({ duplicate: expect.anything() }));
  });

  it('gives the same scan whatever the chunking, a multi-byte key cut included', () => {
    const text = [seed('ключ-1'), seed('b'), seed('ключ-1')].join('\n');
    const whole = scan(text);
    expect(whole.duplicate).toEqual({ key: 'ключ-1', firstLineNo: 1, lineNo: 3 });
    for (const size of [1, 2, 3, 7, 64]) expect(scan(text, size)).toEqual(whole);
  });

  it('counts a line over the size limit as an item', () => {
    const scanner = new FileScanner({ maxLineBytes: 32 });
    scanner.write(Buffer.from(`${seed('a')}\n{"k":"y"}\n`));
    expect(scanner.end()).toMatchObject({ items: 2, format: null });
  });

  it('describes a duplicate with the field the user wrote', () => {
    const duplicate = { key: 'object-1', firstLineNo: 1, lineNo: 7 };
    expect(describeDuplicate(duplicate, 'sluice')).toBe('duplicate key "object-1" on lines 1 and 7: each line\'s key must be unique within a file');
    expect(describeDuplicate(duplicate, 'openai')).toBe(
      'duplicate custom_id "object-1" on lines 1 and 7: each line\'s custom_id must be unique within a file',
    );
  });

  it('tallies the lines per model they name, with the output bounds they ask for, in either format', () => {
    const line = (key: string, model: string, config?: object) => JSON.stringify({ key, request: { model, contents: [{ parts: [{ text: 'hi' }] }], ...(config && { generation_config: config }) } });
    const text = [line('a', 'qwen-7b', { max_output_tokens: 100 }), line('b', 'qwen-7b'), line('c', 'gpt-4o', { maxOutputTokens: 50 }), line('d', 'qwen-7b', { max_output_tokens: 20 }), '{broken', openai('x')].join('\n');
    expect(scan(text).models).toEqual([
      { model: 'qwen-7b', lines: 3, maxOutputTokens: 120, linesWithoutMax: 1 },
      { model: 'gpt-4o', lines: 1, maxOutputTokens: 50, linesWithoutMax: 0 },
    ]);
    const chat = (id: string, body: object) => JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', messages: [], ...body } });
    expect(scan([chat('1', { max_tokens: 10 }), chat('2', { max_completion_tokens: 7, max_tokens: 99 }), chat('3', {})].join('\n')).models).toEqual([
      { model: 'gpt-4o-mini', lines: 3, maxOutputTokens: 17, linesWithoutMax: 1 },
    ]);
    // A bound past any model's counts as 10,000,000: a file's sum stays a safe integer.
    expect(scan([chat('1', { max_tokens: 2 ** 52 }), chat('2', { max_tokens: 2 ** 52 })].join('\n')).models).toEqual([
      { model: 'gpt-4o-mini', lines: 2, maxOutputTokens: 20_000_000, linesWithoutMax: 0 },
    ]);
  });

  it('drops the tally of a file naming more models than it keeps, or with a duplicate key', () => {
    const many = Array.from({ length: MAX_MODELS_TALLIED + 1 }, (_, i) => JSON.stringify({ key: `k${i}`, request: { model: `m${i}`, contents: [] } }));
    expect(scan(many.slice(0, -1).join('\n')).models).toHaveLength(MAX_MODELS_TALLIED);
    expect(scan(many.join('\n'))).not.toHaveProperty('models');
    expect(scan([seed('a'), seed('a')].join('\n'))).not.toHaveProperty('models');
  });

  it('leaves out of the tally a model name an event cannot carry (NUL, a lone surrogate) or too long to be one', () => {
    const named = (key: string, model: string) => JSON.stringify({ key, request: { model, contents: [] } });
    expect(scan([named('a', 'qwen\u0000'), named('b', 'half\ud800'), named('c', 'm'.repeat(201)), named('d', 'qwen-7b')].join('\n')).models).toEqual([
      { model: 'qwen-7b', lines: 1, maxOutputTokens: 0, linesWithoutMax: 1 },
    ]);
  });
});
