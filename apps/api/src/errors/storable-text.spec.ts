import { MAX_JSON_DEPTH, isStorableJson, isStorableText } from './storable-text';

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
