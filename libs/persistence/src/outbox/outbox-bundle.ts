import { deflateRawSync, inflateRawSync } from 'node:zlib';

/** One event as the relay publishes it: its topic and the log record's key, headers and value. */
export interface OutboxRecord {
  topic: string;
  key: string;
  headers: Record<string, string>;
  value: Buffer;
}

/**
 * Appends of at least this many events are stored as one bundle row. A 1,000-item submission
 * is ~800 KB of records, and PGlite's cost grows with the bytes a statement carries (~40 ms for
 * those 1,001 rows); deflated, the same records are ~70 KB (~5 ms), and the events of one task
 * repeat almost everything but their ids and input.
 */
export const BUNDLE_MIN_EVENTS = 32;

/** Fastest zlib level: the records compress ~12× at it, and the submitting request waits for it. */
const LEVEL = 1;

type Packed = [topic: string, key: string, headers: Record<string, string>, value: string];

/** The records, in order, as one deflated JSON list (values are the events' JSON text, kept byte for byte). */
export function encodeBundle(records: readonly OutboxRecord[]): Buffer {
  const packed: Packed[] = records.map((r) => [r.topic, r.key, r.headers, r.value.toString('utf8')]);
  return deflateRawSync(JSON.stringify(packed), { level: LEVEL });
}

export function decodeBundle(bytes: Uint8Array): OutboxRecord[] {
  const packed = JSON.parse(inflateRawSync(bytes).toString('utf8')) as Packed[];
  return packed.map(([topic, key, headers, value]) => ({ topic, key, headers, value: Buffer.from(value, 'utf8') }));
}
