import { isStorableText } from '@sluice/events';

/** NUL, and a UTF-16 surrogate without its pair: PostgreSQL stores neither (one rule, in the events lib). */
export { isStorableText, UNSTORABLE_MESSAGE } from '@sluice/events';

/** Deeper JSON than this is refused at the edge (no customer field needs it; hashing it would recurse). */
export const MAX_JSON_DEPTH = 32;

/** Every key and string of a JSON value is storable, and it nests at most MAX_JSON_DEPTH deep. */
export function isStorableJson(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return isStorableText(value);
  if (value === null || typeof value !== 'object') return true;
  if (depth >= MAX_JSON_DEPTH) return false;
  if (Array.isArray(value)) return value.every((v) => isStorableJson(v, depth + 1));
  return Object.entries(value).every(([k, v]) => isStorableText(k) && isStorableJson(v, depth + 1));
}
