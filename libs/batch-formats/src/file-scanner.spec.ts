import { describeDuplicate, FileScanner, type FileScan } from './file-scanner';

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
    expect(scan(text)).toEqual({ items: 4, format: 'sluice', bytes: Buffer.byteLength(text) });
  });

  it('detects the format from the first line that is JSON of a known shape', () => {
    expect(scan(['{broken', '[1]', '{"note": 1}', openai('x'), seed('y')].join('\n'))).toMatchObject({ items: 5, format: 'openai' });
    expect(scan('{broken\n').format).toBeNull();
    expect(scan('')).toEqual({ items: 0, format: null, bytes: 0 });
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
});
