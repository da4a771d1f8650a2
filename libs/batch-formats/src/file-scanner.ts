import type { EventOf } from '@sluice/events';
import { detectFormat, KEY_FIELDS, keyOf, modelDemandOf, type LineFormat } from './line-format';
import { LineSplitter, type SplitterOptions } from './line-splitter';

export interface DuplicateKey {
  key: string;
  firstLineNo: number;
  lineNo: number;
}

/**
 * The lines of a file that name one model (as written): how many, the output bounds those that
 * set one asked for (max_output_tokens, max_completion_tokens or max_tokens) summed, and how many
 * set none. FileStored carries them.
 */
export type ModelLines = NonNullable<EventOf<'FileStored'>['payload']['models']>[number];

/** More distinct model names than this in one file and the tally is dropped (`models` absent). */
export const MAX_MODELS_TALLIED = 100;

/** A line's bound counts up to this (more than any model produces), so a file's sum stays exact. */
const MAX_COUNTED_OUTPUT_TOKENS = 10_000_000;

export interface FileScan {
  /** Non-blank lines: each becomes an object, good or failed. */
  items: number;
  /** From the first line that is a JSON object in a recognisable format; null when none is. */
  format: LineFormat | null;
  /** The first key written twice (a file with one is rejected whole). */
  duplicate?: DuplicateKey;
  /** Bytes scanned. */
  bytes: number;
  /**
   * The lines in the file's format that name a model, per model as written: absent when the file
   * names more than MAX_MODELS_TALLIED, or a duplicate key stopped the scan of lines.
   */
  models?: ModelLines[];
}

/**
 * The upload-time pass over a file, fed the chunks as they stream to the blob store: counts items,
 * detects the file's format, finds the first duplicate key and tallies the lines per model.
 * Memory: the unfinished line plus one entry per key until a duplicate turns up (then the keys
 * are dropped and lines are only counted).
 */
export class FileScanner {
  private items = 0;
  private format: LineFormat | null = null;
  private firstLineOfKey: Map<string, number> | null = new Map();
  private duplicate?: DuplicateKey;
  private models: Map<string, ModelLines> | null = new Map();
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
    else if (this.models) scan.models = [...this.models.values()];
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
    this.tally(value, lineFormat);
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

  private tally(value: unknown, format: LineFormat): void {
    if (this.models === null) return;
    const demand = modelDemandOf(value, format);
    if (demand === undefined) return;
    let entry = this.models.get(demand.model);
    if (entry === undefined) {
      if (this.models.size >= MAX_MODELS_TALLIED) {
        this.models = null;
        return;
      }
      entry = { model: demand.model, lines: 0, maxOutputTokens: 0, linesWithoutMax: 0 };
      this.models.set(demand.model, entry);
    }
    entry.lines++;
    if (demand.maxOutputTokens === undefined) entry.linesWithoutMax++;
    else entry.maxOutputTokens += Math.min(demand.maxOutputTokens, MAX_COUNTED_OUTPUT_TOKENS);
  }
}

/** The message a user gets for a file rejected for a duplicate key. */
export function describeDuplicate(duplicate: DuplicateKey, format: LineFormat): string {
  return `duplicate ${KEY_FIELDS[format]} "${duplicate.key}" on lines ${duplicate.firstLineNo} and ${duplicate.lineNo}: each line's ${KEY_FIELDS[format]} must be unique within a file`;
}
