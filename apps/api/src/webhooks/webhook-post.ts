import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { hostRefusal } from './destination-address';

export interface WebhookPost {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** Resolves the receiver's name and refuses internal addresses (destination-address.ts guardedLookup). */
  lookup: LookupFunction;
  /** Loopback and private destinations allowed (SLUICE_WEBHOOK_ALLOW_HTTP). */
  allowLocal: boolean;
}

/**
 * POSTs one webhook and resolves with the receiver's status code (redirects are not followed),
 * or rejects with why it could not: a refused destination, a connection error, no answer in time.
 * node:http rather than fetch because its `lookup` option checks the very addresses the socket
 * connects to (fetch would need undici's Agent, which is no dependency here).
 */
export function postWebhook({ url, headers, body, timeoutMs, lookup, allowLocal }: WebhookPost): Promise<number> {
  const target = new URL(url);
  // An IP literal never goes through `lookup`: check it here (rows stored before the check existed too).
  const refused = hostRefusal(target.hostname, allowLocal);
  if (refused) return Promise.reject(new Error(`destination address ${refused}`));
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const signal = AbortSignal.timeout(timeoutMs);
  return new Promise<number>((resolve, reject) => {
    const req = request(target, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, lookup, signal }, (res) => {
      // The answer's body is not read; draining it keeps the connection reusable, and the signal bounds it.
      res.resume();
      res.on('error', () => undefined);
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (err) => reject(signal.aborted ? new Error(`no answer within ${timeoutMs} ms`) : err));
    req.end(body);
  });
}
