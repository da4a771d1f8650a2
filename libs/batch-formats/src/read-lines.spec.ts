import { readLines, resumeAfter, type ReadLine, type ReadLinesOptions } from './read-lines';

async function* inChunks(bytes: Buffer, ...cuts: number[]): AsyncGenerator<Uint8Array> {
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    // Plain Uint8Array copies, as a web stream would hand them over.
    yield new Uint8Array(bytes.subarray(start, cut));
    start = cut;
  }
}

async function collect(source: AsyncIterable<Uint8Array | string>, options?: ReadLinesOptions): Promise<ReadLine[]> {
  const lines: ReadLine[] = [];
  for await (const line of readLines(source, options)) lines.push(line);
  return lines;
}

const texts = (lines: ReadLine[]) => lines.map((l) => [l.lineNo, l.text]);

describe('readLines', () => {
  it('numbers physical lines, skips blank and whitespace-only ones, ends CRLF and LF lines, and keeps a last line without newline', async () => {
    const file = Buffer.from('{"a":1}\r\n\n   \r\n\t\n{"b":2}\n{"c":3}');
    const lines = await collect(inChunks(file));
    expect(lines).toEqual([
      { lineNo: 1, text: '{"a":1}', endOffset: 9 },
      { lineNo: 5, text: '{"b":2}', endOffset: 25 },
      { lineNo: 6, text: '{"c":3}', endOffset: file.length },
    ]);
  });

  it('decodes a multi-byte UTF-8 character cut at any byte between two chunks', async () => {
    const file = Buffer.from('{"t":"€ 😀 ü"}\n{"t":"日本"}\n');
    const whole = texts(await collect(inChunks(file)));
    expect(whole).toEqual([
      [1, '{"t":"€ 😀 ü"}'],
      [2, '{"t":"日本"}'],
    ]);
    for (let cut = 1; cut < file.length; cut++) {
      expect(texts(await collect(inChunks(file, cut)))).toEqual(whole);
    }
  });

  it('ends a line whose \\r and \\n arrive in different chunks, and a one-byte-per-chunk stream reads the same', async () => {
    const file = Buffer.from('{"a":1}\r\n{"b":2}\r\n');
    const cr = file.indexOf('\r');
    expect(texts(await collect(inChunks(file, cr + 1)))).toEqual([
      [1, '{"a":1}'],
      [2, '{"b":2}'],
    ]);
    const byByte = Array.from({ length: file.length - 1 }, (_, i) => i + 1);
    expect(await collect(inChunks(file, ...byByte))).toEqual(await collect(inChunks(file)));
  });

  it('keeps an unfinished line intact when the source reuses its chunk buffer', async () => {
    const file = Buffer.from('{"a":"xyz"}\n{"b":"uvw"}\n');
    async function* reusing() {
      const chunk = new Uint8Array(5);
      for (let i = 0; i < file.length; i += chunk.length) {
        chunk.fill(0x20).set(file.subarray(i, i + chunk.length));
        yield i + chunk.length <= file.length ? chunk : chunk.subarray(0, file.length - i);
      }
    }
    expect(texts(await collect(reusing()))).toEqual([
      [1, '{"a":"xyz"}'],
      [2, '{"b":"uvw"}'],
    ]);
  });

  it('reads string chunks, offsets counted in UTF-8 bytes', async () => {
    async function* strings() {
      yield '{"t":"é"}\n{"t"';
      yield ':"x"}\n';
    }
    expect(await collect(strings())).toEqual([
      { lineNo: 1, text: '{"t":"é"}', endOffset: 11 },
      { lineNo: 2, text: '{"t":"x"}', endOffset: 21 },
    ]);
  });

  it('drops the byte order mark an editor put before the first line', async () => {
    const file = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}\n')]);
    expect(texts(await collect(inChunks(file, 2)))).toEqual([[1, '{"a":1}']]);
  });

  it('resumes from the endOffset of a line with the numbering of the whole file', async () => {
    const file = Buffer.from(['{"n":1}', '', '{"n":3}', '{"n":4}', '', '', '{"n":7}', '{"n":8}'].join('\n'));
    const all = await collect(inChunks(file, 5, 17));
    for (const [i, checkpoint] of all.entries()) {
      const resume = resumeAfter(checkpoint);
      const rest = await collect(inChunks(file.subarray(resume.startOffset), 3), resume);
      expect(rest).toEqual(all.slice(i + 1));
    }
    expect(texts(all)).toEqual([
      [1, '{"n":1}'],
      [3, '{"n":3}'],
      [4, '{"n":4}'],
      [7, '{"n":7}'],
      [8, '{"n":8}'],
    ]);
  });

  it('reports a line over maxLineBytes without keeping it, and reads the next lines normally', async () => {
    const long = `{"t":"${'x'.repeat(100)}"}`;
    const file = Buffer.from(`{"a":1}\n${long}\n{"b":2}\n${long}`);
    for (const cuts of [[], [12, 40, 60], [8 + long.length + 1]]) {
      const lines = await collect(inChunks(file, ...cuts), { maxLineBytes: 64 });
      expect(lines).toEqual([
        { lineNo: 1, text: '{"a":1}', endOffset: 8 },
        { lineNo: 2, text: '', endOffset: 8 + long.length + 1, tooLong: { bytes: long.length, limit: 64 } },
        { lineNo: 3, text: '{"b":2}', endOffset: 8 + long.length + 9 },
        { lineNo: 4, text: '', endOffset: file.length, tooLong: { bytes: long.length, limit: 64 } },
      ]);
    }
  });

  it('an empty or blank-only file has no lines', async () => {
    expect(await collect(inChunks(Buffer.alloc(0)))).toEqual([]);
    expect(await collect(inChunks(Buffer.from('\n \r\n\n'), 2))).toEqual([]);
  });
});
