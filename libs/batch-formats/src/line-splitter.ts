/** One line per JSON request; a line longer than this is reported, not buffered. */
export const DEFAULT_MAX_LINE_BYTES = 8 * 1024 * 1024;

export interface SplitterOptions {
  maxLineBytes?: number;
  /** Byte offset in the file of the first byte pushed (a ranged read resuming a file). */
  startOffset?: number;
  /** Physical number of the line that starts at startOffset. */
  startLineNo?: number;
}

export interface LineSink {
  /** A non-blank line: its bytes are `buf[start, end)` (no newline, no trailing \r), valid during the call only. */
  line(buf: Buffer, start: number, end: number, lineNo: number, endOffset: number): void;
  /** A line over maxLineBytes: its bytes were counted and dropped. */
  tooLong(lineNo: number, endOffset: number, bytes: number): void;
}

const LF = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;

/**
 * Splits a byte stream into lines, pushed chunk by chunk. Splits on bytes, so a UTF-8 character cut
 * between two chunks is joined again before anything decodes it (0x0A never occurs inside one).
 * Memory: the unfinished line only, up to maxLineBytes.
 */
export class LineSplitter {
  readonly maxLineBytes: number;
  private offset: number;
  private lineStart: number;
  private lineNo: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes of the current line seen so far once it went over the limit (then nothing is kept). */
  private overflowBytes = 0;

  constructor(
    private readonly sink: LineSink,
    options: SplitterOptions = {},
  ) {
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.offset = options.startOffset ?? 0;
    this.lineStart = this.offset;
    this.lineNo = options.startLineNo ?? 1;
  }

  /** Bytes consumed so far, as an offset in the file. */
  get bytes(): number {
    return this.offset;
  }

  push(chunk: Uint8Array): void {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let pos = 0;
    while (pos < buf.length) {
      const nl = buf.indexOf(LF, pos);
      if (nl === -1) {
        this.hold(buf, pos, buf.length);
        this.offset += buf.length - pos;
        return;
      }
      this.offset += nl + 1 - pos;
      if (this.pendingBytes === 0 && this.overflowBytes === 0) {
        if (nl - pos > this.maxLineBytes) this.sink.tooLong(this.lineNo, this.offset, nl - pos);
        else this.emit(buf, pos, nl);
      } else {
        this.hold(buf, pos, nl);
        this.flushPending();
      }
      this.lineNo++;
      this.lineStart = this.offset;
      pos = nl + 1;
    }
  }

  /** The last line, when the file does not end with a newline. */
  end(): void {
    if (this.pendingBytes > 0 || this.overflowBytes > 0) {
      this.flushPending();
      this.lineNo++;
      this.lineStart = this.offset;
    }
  }

  private hold(buf: Buffer, start: number, end: number): void {
    const length = end - start;
    if (length === 0) return;
    if (this.overflowBytes > 0) {
      this.overflowBytes += length;
    } else if (this.pendingBytes + length > this.maxLineBytes) {
      this.overflowBytes = this.pendingBytes + length;
      this.pending = [];
      this.pendingBytes = 0;
    } else {
      // A copy: a source may reuse its chunk's memory once it has been handed over.
      this.pending.push(Buffer.from(buf.subarray(start, end)));
      this.pendingBytes += length;
    }
  }

  private flushPending(): void {
    if (this.overflowBytes > 0) {
      this.sink.tooLong(this.lineNo, this.offset, this.overflowBytes);
    } else {
      const line = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
      this.emit(line, 0, line.length);
    }
    this.pending = [];
    this.pendingBytes = 0;
    this.overflowBytes = 0;
  }

  private emit(buf: Buffer, start: number, end: number): void {
    if (end > start && buf[end - 1] === CR) end--;
    // A UTF-8 byte order mark (Windows editors write one) is not part of the first line's JSON.
    if (this.lineStart === 0 && end - start >= 3 && buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf) start += 3;
    let i = start;
    while (i < end && (buf[i] === SPACE || buf[i] === TAB || buf[i] === CR)) i++;
    if (i === end) return;
    this.sink.line(buf, start, end, this.lineNo, this.offset);
  }
}
