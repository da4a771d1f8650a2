import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';

/**
 * A failed provider call, classified for the scheduler: `transient` failures are worth a
 * retry (elsewhere or later, at no cost to the customer), permanent ones are not.
 */
export abstract class ProviderError extends Error {
  abstract readonly code: string;
  abstract readonly transient: boolean;

  constructor(
    readonly providerId: string,
    message: string,
    readonly status?: number,
  ) {
    super(`${providerId}: ${message}`);
    this.name = new.target.name;
  }
}

export class ProviderRateLimitedError extends ProviderError {
  readonly code = 'provider_rate_limited';
  readonly transient = true;

  constructor(
    providerId: string,
    message: string,
    /** How long the provider asked us to wait; null when it did not say. */
    readonly retryAfterMs: number | null,
  ) {
    super(providerId, message, 429);
  }
}

export class ProviderServerError extends ProviderError {
  readonly code = 'provider_server_error';
  readonly transient = true;
}

export class ProviderTimeoutError extends ProviderError {
  readonly code = 'provider_timeout';
  readonly transient = true;
}

export class ProviderUnreachableError extends ProviderError {
  readonly code = 'provider_unreachable';
  readonly transient = true;
}

export class ProviderAuthError extends ProviderError {
  readonly code = 'provider_auth_failed';
  readonly transient = false;
}

/** For a delete: what the provider no longer has (404) is what was asked; anything else is thrown. */
export function unlessGone(err: unknown): void {
  if (err instanceof ProviderError && err.status === 404) return;
  throw err;
}

/** 400, 404, 422…: the same request would fail again anywhere it is sent unchanged. */
export class ProviderRejectedError extends ProviderError {
  readonly code = 'provider_rejected_request';
  readonly transient = false;

  constructor(
    providerId: string,
    message: string,
    status: number,
    /** The provider's own error code, e.g. `context_length_exceeded`. */
    readonly providerCode: string | null,
  ) {
    super(providerId, message, status);
  }
}

/**
 * The customer asked for something this provider's API cannot do (e.g. `seed` of Anthropic):
 * refused before any call, naming the parameters. Permanent here, but another provider family
 * may honour it, so a failover goes on to the next candidate.
 */
export class ProviderUnsupportedParamsError extends ProviderError {
  readonly code = 'provider_rejected_request';
  readonly transient = false;

  constructor(
    providerId: string,
    readonly api: string,
    readonly params: readonly string[],
  ) {
    super(providerId, `the ${api} API has no ${params.join(', ')}; send the request without ${params.length > 1 ? 'them' : 'it'} or to another provider`, 400);
  }
}

/** `retry-after-ms` (OpenAI's), else `retry-after` in seconds or as an HTTP date. */
export function retryAfterMs(headers: Headers | undefined, now: number = Date.now()): number | null {
  const ms = Number(headers?.get('retry-after-ms') ?? NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers?.get('retry-after');
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

function providerCodeOf(err: APIError): string | null {
  const code = (err.error as { code?: unknown } | undefined)?.code ?? err.code;
  return typeof code === 'string' ? code : null;
}

/** An HTTP failure as any provider SDK reports it, before classification. */
export interface HttpFailure {
  readonly status: number;
  /** The provider's own message (never shown for 401/403: it may quote part of the key). */
  readonly message: string;
  readonly headers?: Headers;
  /** The provider's own error code or type, e.g. `context_length_exceeded`. */
  readonly providerCode?: string | null;
  /** A wait the provider named in its body (Gemini's RetryInfo), when headers say none. */
  readonly retryAfterMs?: number | null;
}

/**
 * One classification for every family: 429 rate limited (with its wait), 408 timeout,
 * 5xx (Anthropic's 529 overloaded among them) and 409 transient; 401/403 the key; other
 * 4xx a permanent rejection carrying the provider's message.
 */
export function classifyHttpFailure(providerId: string, failure: HttpFailure): ProviderError {
  const { status, message } = failure;
  if (status === 429) return new ProviderRateLimitedError(providerId, message, retryAfterMs(failure.headers) ?? failure.retryAfterMs ?? null);
  if (status === 408) return new ProviderTimeoutError(providerId, message, status);
  // 409 is a provider-side lock conflict; OpenAI's own SDK retries it like a 5xx.
  if (status >= 500 || status === 409) return new ProviderServerError(providerId, message, status);
  if (status === 401 || status === 403) {
    return new ProviderAuthError(providerId, `the provider refused its API key (HTTP ${status}); check the key in the variable its catalogue entry names`, status);
  }
  return new ProviderRejectedError(providerId, message, status, failure.providerCode ?? null);
}

/** A key must never reach a message, an event or a log: whatever quotes it gets it masked. */
export function withoutKey<E extends ProviderError>(error: E, apiKey: string): E {
  if (apiKey.length < 4 || !error.message.includes(apiKey)) return error;
  error.message = error.message.split(apiKey).join('[redacted]');
  return error;
}

/** Maps whatever the openai SDK threw to a ProviderError; anything unrecognised is rethrown as is. */
export function classifyProviderError(providerId: string, err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  // Timeout first: the SDK's timeout error is a kind of connection error.
  if (err instanceof APIConnectionTimeoutError) return new ProviderTimeoutError(providerId, 'request timed out');
  if (err instanceof APIConnectionError) return new ProviderUnreachableError(providerId, `connection failed: ${err.cause instanceof Error ? err.cause.message : err.message}`);
  if (err instanceof APIError && err.status !== undefined) {
    return classifyHttpFailure(providerId, { status: err.status, message: err.message, headers: err.headers, providerCode: providerCodeOf(err) });
  }
  throw err;
}
