import { createHash, randomBytes } from 'node:crypto';
import { UnauthorizedError } from '../errors/api-error';

const PREFIX = 'sk_live_';

/** A fresh key: 32 random bytes, so a plain sha256 of it is as good as a slow hash. */
export function generateApiKey(): string {
  return PREFIX + randomBytes(32).toString('base64url');
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** What may be shown of a key after its creation: enough to tell keys apart. */
export function displayPrefix(key: string): string {
  return key.slice(0, PREFIX.length + 4);
}

/**
 * The key of `Authorization: Bearer <key>`, or undefined without the header. A header in another
 * shape is refused saying what is wrong with it, not taken for a missing key.
 */
export function bearerKey(header: string | string[] | undefined): string | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!value) return undefined;
  const match = value.match(/^Bearer\s+(\S+)(\s+\S[\s\S]*)?$/i);
  if (!match) throw new UnauthorizedError('the Authorization header must be "Bearer <key>"');
  if (match[2] !== undefined) throw new UnauthorizedError('the Authorization header holds more than "Bearer <key>": send the key alone after "Bearer "');
  return match[1];
}
