import { createHash } from 'node:crypto';

/**
 * A UUID (version-5 layout, SHA-256 based) that is a pure function of its parts. A file's
 * objects and their events get ids from (task, line index), so a resumed expansion republishes
 * the very same events and every consumer drops the repeats by event id.
 */
export function stableUuid(...parts: readonly (string | number)[]): string {
  return stableUuidPair(...parts)[0];
}

/** Two distinct UUIDs from one hash of the parts (the first equals stableUuid(...parts)). */
export function stableUuidPair(...parts: readonly (string | number)[]): [string, string] {
  const hash = createHash('sha256').update(parts.join('\u0000')).digest();
  return [asUuid(hash.subarray(0, 16)), asUuid(hash.subarray(16, 32))];
}

function asUuid(bytes: Buffer): string {
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
