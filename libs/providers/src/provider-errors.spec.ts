import { APIError } from 'openai';
import { ProviderAuthError, ProviderRejectedError, ProviderServerError, ProviderTimeoutError, classifyHttpFailure, classifyProviderError, retryAfterMs, withoutKey } from './provider-errors';

describe('retryAfterMs', () => {
  const now = Date.parse('2025-03-04T10:00:00Z');

  it('prefers retry-after-ms, then seconds, then an HTTP date', () => {
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '750', 'retry-after': '3' }), now)).toBe(750);
    expect(retryAfterMs(new Headers({ 'retry-after': '3' }), now)).toBe(3_000);
    expect(retryAfterMs(new Headers({ 'retry-after': 'Tue, 04 Mar 2025 10:00:05 GMT' }), now)).toBe(5_000);
  });

  it('is null when the provider gave no usable hint', () => {
    expect(retryAfterMs(new Headers(), now)).toBeNull();
    expect(retryAfterMs(new Headers({ 'retry-after': 'soon' }), now)).toBeNull();
  });
});

describe('classifyProviderError', () => {
  const classify = (status: number) => classifyProviderError('p', APIError.generate(status, { code: 'x' }, 'boom', new Headers()));

  it('treats 408 as a timeout, 409 as transient and 422 as a permanent rejection', () => {
    expect(classify(408)).toBeInstanceOf(ProviderTimeoutError);
    expect(classify(409)).toBeInstanceOf(ProviderServerError);
    expect(classify(422)).toBeInstanceOf(ProviderRejectedError);
    expect(classify(422).transient).toBe(false);
  });

  it('treats any 5xx as transient', () => {
    expect(classify(502)).toBeInstanceOf(ProviderServerError);
    expect(classify(502).transient).toBe(true);
  });

  it('rethrows what is not a provider failure (a bug of ours)', () => {
    expect(() => classifyProviderError('p', new TypeError('undefined is not a function'))).toThrow(TypeError);
  });
});

describe('classifyHttpFailure (every family)', () => {
  it("treats Anthropic's 529 overloaded as transient and a 429's body wait as its Retry-After", () => {
    expect(classifyHttpFailure('a', { status: 529, message: 'Overloaded' })).toMatchObject({ transient: true, code: 'provider_server_error', status: 529 });
    expect(classifyHttpFailure('g', { status: 429, message: 'quota', retryAfterMs: 12_000 })).toMatchObject({ transient: true, retryAfterMs: 12_000 });
  });

  it('passes a 400-class message on, and never the words of a 401/403, which may quote the key', () => {
    expect(classifyHttpFailure('p', { status: 400, message: 'max_tokens: too large', providerCode: 'invalid_request_error' })).toMatchObject({
      transient: false,
      message: 'p: max_tokens: too large',
      providerCode: 'invalid_request_error',
    });
    const auth = classifyHttpFailure('p', { status: 401, message: 'Incorrect API key provided: sk-abc...xyz' });
    expect(auth).toBeInstanceOf(ProviderAuthError);
    expect(auth.message).not.toContain('sk-abc');
  });

  it('masks a key wherever a message quotes it', () => {
    const error = withoutKey(new ProviderRejectedError('p', 'bad request for key sk-secret-123', 400, null), 'sk-secret-123');
    expect(error.message).toBe('p: bad request for key [redacted]');
  });
});
