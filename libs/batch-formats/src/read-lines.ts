import { LineSplitter, type SplitterOptions } from './line-splitter';

export interface ReadLine {
  /** 1-based physical line number in the file (blank lines count, but are not yielded). */
  lineNo: number;
  /** The line without its newline; '' when tooLong. */
  text: string;
  /** Byte offset in the file just after this line's newline: where to resume after it. */
  endOffset: number;
  /** Set when the line was over maxLineBytes: it was not kept, so it cannot be parsed. */
  tooLong?: { bytes: number; limit: number };
}

export type ReadLinesOptions = SplitterOptions;

/**
 * Streams the non-blank lines of a byte stream. CRLF and LF both end a line, a last line without a
 * newline counts, a UTF-8 character split across chunks is decoded whole. Memory stays at one chunk's
 * lines plus the unfinished line (at most maxLineBytes), whatever the file's size.
 *
 * To resume a file from a checkpoint, read it from `resumeAfter(lastLine).startOffset` and pass
 * `resumeAfter(lastLine)` as options: line numbers go on from there.
 */
export async function* readLines(source: AsyncIterable<Uint8Array | string>, options: ReadLinesOptions = {}): AsyncGenerator<ReadLine> {
  const ready: ReadLine[] = [];
  const splitter = new LineSplitter(
    {
      line: (buf, start, end, lineNo, endOffset) => ready.push({ lineNo, text: buf.toString('utf8', start, end), endOffset }),
      tooLong: (lineNo, endOffset, bytes) => ready.push({ lineNo, text: '', endOffset, tooLong: { bytes, limit: splitter.maxLineBytes } }),
    },
    options,
  );
  for await (const chunk of source) {
    splitter.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
    for (let i = 0; i < ready.length; i++) yield ready[i];
    ready.length = 0;
  }
  splitter.end();
  yield* ready;
}

/** Options (and the byte to start the ranged read at) that continue a file after `line`. */
export function resumeAfter(line: { lineNo: number; endOffset: number }): { startOffset: number; startLineNo: number } {
  return { startOffset: line.endOffset, startLineNo: line.lineNo + 1 };
}
