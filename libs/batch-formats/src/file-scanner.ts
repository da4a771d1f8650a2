import { detectFormat, KEY_FIELDS, keyOf, type LineFormat } from './line-format';
import { LineSplitter, type SplitterOptions } from './line-splitter';

export interface DuplicateKey {
  key: string;
  firstLineNo: number;
  lineNo: number;
}

export interface FileScan {
  /** Non-blank lines: each becomes an object, good or failed. */
  items: number;
  /** From the first line that is a JSON object in a recognisable format; null when none is. */
  format: LineFormat | null;
  /** The first key written twice (a file with one is rejected whole). */
  duplicate?: DuplicateKey;
  /** Bytes scanned. */
  bytes: number;
}

/**
 * The upload-time pass over a file, fed the chunks as they stream to the blob store: counts items,
 * detects the file's format and finds the first duplicate key. Memory: the unfinished line plus one
 * entry per key until a duplicate turns up (then the keys are dropped and lines are only counted).
 */
export class FileScanner {
  private items = 0;
  private format: LineFormat | null = null;
  private firstLineOfKey: Map<string, number> | null = new Map();
  private duplicate?: DuplicateKey;
  private readonly splitter: LineSplitter;

  constructor(options: Pick<SplitterOptions, 'maxLineBytes'> = {}) {
    this.splitter = new LineSplitter(
      {
        line: (buf, start, end, lineNo) => this.line(buf, start, end, lineNo),
        tooLong: () => this.items++,
      },
      options,
    );
  }

  write(chunk: Uint8Array): void {
    this.splitter.push(chunk);
  }

  end(): FileScan {
    this.splitter.end();
    this.firstLineOfKey = null;
    const scan: FileScan = { items: this.items, format: this.format, bytes: this.splitter.bytes };
    if (this.duplicate) scan.duplicate = this.duplicate;
    return scan;
  }

  private line(buf: Buffer, start: number, end: number, lineNo: number): void {
    this.items++;
    const keys = this.firstLineOfKey;
    if (keys === null && this.format !== null) return;
    let value: unknown;
    try {
      value = JSON.parse(buf.toString('utf8', start, end));
    } catch {
      return;
    }
    const lineFormat = detectFormat(value);
    if (lineFormat === null) return;
    this.format ??= lineFormat;
    // A line of the other format fails on its own (format_mismatch); its key is not the file's.
    if (keys === null || lineFormat !== this.format) return;
    const key = keyOf(value, lineFormat);
    if (key === undefined) return;
    const firstLineNo = keys.get(key);
    if (firstLineNo === undefined) {
      keys.set(key, lineNo);
      return;
    }
    this.duplicate = { key, firstLineNo, lineNo };
    this.firstLineOfKey = null;
  }
}

/** The message a user gets for a file rejected for a duplicate key. */
export function describeDuplicate(duplicate: DuplicateKey, format: LineFormat): string {
  return `duplicate ${KEY_FIELDS[format]} "${duplicate.key}" on lines ${duplicate.firstLineNo} and ${duplicate.lineNo}: each line's ${KEY_FIELDS[format]} must be unique within a file`;
}
