import { z } from 'zod';
import { MAX_JSON_DEPTH, MAX_METADATA_BYTES, MAX_PRICE_MESSAGE, MAX_PRICE_USD, isStorableJson, isStorableText, metadataFits } from './storable-text';

const nested = (depth: number): unknown => (depth === 0 ? 'leaf' : { a: nested(depth - 1) });

describe('storable text', () => {
  it.each([
    ['plain text', 'hello', true],
    ['an emoji (a surrogate pair)', 'hi 👋 there', true],
    ['U+202E and DEL', 'a\u202eb\u007f', true],
    ['NUL', 'a\u0000b', false],
    ['a lone high surrogate', 'a\ud800b', false],
    ['a lone low surrogate', 'a\udc00', false],
    ['a high surrogate at the end', 'ok\ud83d', false],
  ])('%s: %s', (_, text, storable) => {
    expect(isStorableText(text)).toBe(storable);
  });

  it('checks every key and string of a JSON value, and refuses it nested too deep', () => {
    expect(isStorableJson({ env: 'staging', tags: ['a', 1, null, { k: 'v' }] })).toBe(true);
    expect(isStorableJson({ env: ['ok', 'bad\u0000'] })).toBe(false);
    expect(isStorableJson({ ['k\ud800']: 1 })).toBe(false);
    expect(isStorableJson(nested(MAX_JSON_DEPTH - 1))).toBe(true);
    expect(isStorableJson(nested(3_000))).toBe(false);
  });
});

describe('request limits', () => {
  it('metadata fits up to 16 KB of JSON; 5 MB does not', () => {
    expect(MAX_METADATA_BYTES).toBe(16 * 1024);
    expect(metadataFits({ env: 'staging', note: 'x'.repeat(16_000) })).toBe(true);
    expect(metadataFits({ note: 'x'.repeat(5 * 1024 * 1024) })).toBe(false);
    // Too deep to serialise safely: isStorableJson refuses it, this rule does not recurse into it.
    expect(metadataFits(nested(3_000))).toBe(true);
  });

  it('a max_price_usd of 1e10 is refused: its micro-dollars are no longer exact integers', () => {
    const cap = z.number().positive().max(MAX_PRICE_USD, MAX_PRICE_MESSAGE);
    expect(cap.safeParse(1e10).error?.issues[0].message).toBe('max_price_usd is at most 1000000');
    expect(Number.isSafeInteger(MAX_PRICE_USD * 1_000_000)).toBe(true);
  });
});

