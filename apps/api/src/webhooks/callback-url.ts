import { isIP } from 'node:net';
import { ValidationError } from '../errors/api-error';

const PRIVATE_V4 = [/^127\./, /^10\./, /^192\.168\./, /^172\.(1[6-9]|2\d|3[01])\./];

/** localhost, 127/8, ::1 and the private ranges: where plain http may go in tests and development. */
export function isLoopbackOrPrivate(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return PRIVATE_V4.some((range) => range.test(host));
  if (isIP(host) === 6) return host === '::1' || host.startsWith('fc') || host.startsWith('fd');
  return false;
}

/**
 * A task's `callback_url`: https; plain http only to a loopback or private address, and only
 * when SLUICE_WEBHOOK_ALLOW_HTTP is set (tests, development).
 */
export function checkCallbackUrl(value: string, allowHttp: boolean, field = 'callback_url'): string {
  const refuse = (message: string) => new ValidationError([{ field, message }]);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw refuse('callback_url must be an absolute https URL');
  }
  if (url.username || url.password) throw refuse('callback_url must not carry credentials');
  if (url.protocol === 'https:') return url.toString();
  if (url.protocol === 'http:' && allowHttp && isLoopbackOrPrivate(url.hostname)) return url.toString();
  throw refuse(allowHttp ? 'callback_url must be https (http only to a loopback or private address)' : 'callback_url must be https');
}
