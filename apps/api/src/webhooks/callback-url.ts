import { ValidationError } from '../errors/api-error';
import { hostRefusal, isLoopbackOrPrivate } from './destination-address';

/**
 * A task's `callback_url` (and the account's default endpoint): https to a public host. An IP
 * literal or `localhost` that points inside (loopback, private, link-local such as the cloud
 * metadata address, CGNAT, multicast…) is refused, so Sluice is no proxy into its own network; a
 * name is checked again on each delivery, against what it resolves to then. With
 * SLUICE_WEBHOOK_ALLOW_HTTP (tests, development), loopback and private hosts are allowed, over
 * plain http too.
 */
export function checkCallbackUrl(value: string, allowHttp: boolean, field = 'callback_url'): string {
  const refuse = (message: string) => new ValidationError([{ field, message }]);
  const httpsOnly = allowHttp ? 'callback_url must be https (http only to a loopback or private address)' : 'callback_url must be https';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw refuse('callback_url must be an absolute https URL');
  }
  if (url.username || url.password) throw refuse('callback_url must not carry credentials');
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && allowHttp)) throw refuse(httpsOnly);
  const refused = hostRefusal(url.hostname, allowHttp);
  if (refused) throw refuse(`callback_url must point to a public address: ${refused}`);
  if (url.protocol === 'http:' && !isLoopbackOrPrivate(url.hostname)) throw refuse(httpsOnly);
  return url.toString();
}
