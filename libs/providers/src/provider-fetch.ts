import { Agent } from 'undici';

/**
 * Connections to one provider origin, at most. Node's global fetch pools them without a bound,
 * and a call started in the same turn as another's end finds that connection not yet free and
 * opens a new one: under a busy event loop idle connections pile up, far beyond the calls in
 * flight, until the process runs out of file descriptors. Calls past the bound wait for a
 * free connection.
 */
export const PROVIDER_CONNECTIONS_PER_ORIGIN = 2_000;
/** An idle connection is closed after this long, whatever longer keep-alive the provider offers. */
export const PROVIDER_IDLE_CONNECTION_MS = 10_000;

const dispatcher = new Agent({
  connections: PROVIDER_CONNECTIONS_PER_ORIGIN,
  keepAliveTimeout: 4_000,
  keepAliveMaxTimeout: PROVIDER_IDLE_CONNECTION_MS,
});

/**
 * The fetch every provider SDK gets: Node's own (whose FormData the SDKs build their uploads
 * with) on one bounded pool per origin, shared by all adapters in the process. The pool comes
 * from the undici major Node bundles, so the two speak the same dispatcher interface.
 */
export const providerFetch: typeof fetch = (input, init) => fetch(input, { ...init, dispatcher } as RequestInit);
