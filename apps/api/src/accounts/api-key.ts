import { createHash, randomBytes } from 'node:crypto';

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

/** The key of `Authorization: Bearer <key>`, or undefined. */
export function bearerKey(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const match = value?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}
