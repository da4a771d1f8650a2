import { createHash } from 'node:crypto';

/**
 * A UUID (version-5 layout, SHA-256 based) that is a pure function of its parts. A file's
 * objects and their events get ids from (task, line index), so a resumed expansion republishes
 * the very same events and every consumer drops the repeats by event id.
 */
export function stableUuid(...parts: readonly (string | number)[]): string {
  const hash = createHash('sha256').update(parts.join('\u0000')).digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
