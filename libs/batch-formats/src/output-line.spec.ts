import { outputLine } from './output-line';

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
