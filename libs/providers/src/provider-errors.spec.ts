import { APIError } from 'openai';
import { ProviderRejectedError, ProviderServerError, ProviderTimeoutError, classifyProviderError, retryAfterMs } from './provider-errors';

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
