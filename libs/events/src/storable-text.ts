/**
 * Text an event may carry: every consumer stores events' strings in PostgreSQL, which keeps
 * neither NUL nor a UTF-16 surrogate without its pair (in text or JSON). One that slips into an
 * event fails the consumer's insert, and the work it describes is stranded.
 */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const UNSTORABLE_ALL = new RegExp(UNSTORABLE.source, 'g');

export const UNSTORABLE_MESSAGE = 'holds a character that cannot be stored (NUL or an unpaired surrogate)';

export function isStorableText(text: string): boolean {
  return !UNSTORABLE.test(text);
}

/** `text` with each unstorable character replaced by U+FFFD (for messages that quote input). */
export function toStorableText(text: string): string {
  return isStorableText(text) ? text : text.replace(UNSTORABLE_ALL, '\ufffd');
}

/**
 * Where in a parsed JSON value the first unstorable key or string is (`''` for the value
 * itself, else `a.b[2]`), or null when there is none. Iterative: a line of a file may nest as
 * deep as JSON.parse allows, deeper than the stack.
 */
export function findUnstorable(root: unknown): string | null {
  const stack: Array<[unknown, string]> = [[root, '']];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [value, path] = next;
    if (typeof value === 'string') {
      if (!isStorableText(value)) return path;
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], `${path}[${i}]`]);
    } else if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, v] = entries[i];
        const at = path ? `${path}.${toStorableText(k)}` : toStorableText(k);
        if (!isStorableText(k)) return at;
        stack.push([v, at]);
      }
    }
  }
  return null;
}
