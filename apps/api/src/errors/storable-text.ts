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

/** The largest `max_price_usd` (a cap on one request's price): beyond it micro-dollars stop being exact integers. */
export const MAX_PRICE_USD = 1_000_000;
export const MAX_PRICE_MESSAGE = `max_price_usd is at most ${MAX_PRICE_USD}`;

/** The largest `metadata` a request may carry, as JSON in UTF-8: it is stored with every request. */
export const MAX_METADATA_BYTES = 16 * 1024;
export const METADATA_TOO_LARGE_MESSAGE = `metadata is at most ${MAX_METADATA_BYTES} bytes as JSON`;

/** Metadata within MAX_METADATA_BYTES; a value isStorableJson refuses (too deep to serialise safely) is left to it. */
export function metadataFits(value: unknown): boolean {
  return !isStorableJson(value) || Buffer.byteLength(JSON.stringify(value)) <= MAX_METADATA_BYTES;
}
