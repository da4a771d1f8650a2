import { InvalidBlobKeyError, type ByteRange, BlobRangeError } from './blob-store.port';

const MAX_KEY_LENGTH = 1_024;
const SEGMENT = /^[A-Za-z0-9_=+@-][A-Za-z0-9._=+@-]*$/;

/**
 * Accepts `files/<accountId>/<fileId>`-like keys: `/`-separated segments of letters, digits
 * and `._=+@-`. No empty segment, no leading `/`, and no segment starting with `.` (which
 * rules out `.` and `..`, and leaves dot-names free for the fs adapter's temp files), so a
 * key can never reach outside the store's folder or collide with its bookkeeping.
 */
export function assertValidKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidBlobKeyError(String(key), 'empty');
  if (key.length > MAX_KEY_LENGTH) throw new InvalidBlobKeyError(key, `longer than ${MAX_KEY_LENGTH} characters`);
  if (key.startsWith('/')) throw new InvalidBlobKeyError(key, 'starts with /');
  for (const segment of key.split('/')) {
    if (segment === '') throw new InvalidBlobKeyError(key, 'empty path segment');
    if (segment.startsWith('.')) throw new InvalidBlobKeyError(key, 'a segment starts with "."');
    if (!SEGMENT.test(segment)) throw new InvalidBlobKeyError(key, 'only letters, digits and ._=+@- are allowed between slashes');
  }
}

/** Rejects ranges no adapter could serve the same way (S3 would silently ignore some of them). */
export function assertValidRange(key: string, range: ByteRange): void {
  const { start, end } = range;
  const bad = !Number.isSafeInteger(start) || start < 0 || (end !== undefined && (!Number.isSafeInteger(end) || end < start));
  if (bad) throw new BlobRangeError(key, range);
}
