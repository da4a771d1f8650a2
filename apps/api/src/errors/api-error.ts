import type { SlaShortfall } from '@sluice/pricing';
import type { z } from 'zod';
import type { ApiErrorTypeSchema } from './error-envelope';

/** The `type` field of the error envelope: the kind of problem, coarser than `code`. */
export type ApiErrorType = z.infer<typeof ApiErrorTypeSchema>;

export interface FieldError {
  /** Where the problem is, e.g. `items[2].model`. */
  field: string;
  message: string;
}

/**
 * An error the API answers with `{"error": {"type", "message", "code"}}`; `code` is stable for
 * programs, `message` is for people. The exception filter maps every subclass to HTTP.
 */
export abstract class ApiError extends Error {
  abstract readonly status: number;
  abstract readonly type: ApiErrorType;
  abstract readonly code: string;
}

export class UnauthorizedError extends ApiError {
  readonly status = 401;
  readonly type = 'authentication_error';
  readonly code = 'unauthorized';
}

export class ApiKeyInactiveError extends ApiError {
  readonly status = 401;
  readonly type = 'authentication_error';
  readonly code = 'api_key_inactive';

  constructor() {
    super('this API key has been deactivated');
  }
}

/** Also what another account's task or object gets: its existence is not disclosed. */
export class NotFoundError extends ApiError {
  readonly status = 404;
  readonly type = 'not_found_error';
  readonly code = 'not_found';

  constructor(what: string, id: string) {
    super(`${what} ${id} not found`);
  }
}

export class UnknownModelError extends ApiError {
  readonly status = 404;
  readonly type = 'not_found_error';
  readonly code = 'model_not_found';

  constructor(
    readonly model: string,
    readonly field: string,
  ) {
    super(`${field}: model "${model}" is not offered; see the provider catalogue for models and aliases`);
  }
}

export class ValidationError extends ApiError {
  readonly status = 422;
  readonly type = 'invalid_request_error';
  readonly code = 'validation_error';

  constructor(readonly fields: FieldError[]) {
    super(fields.map((f) => `${f.field}: ${f.message}`).join('; '));
  }
}

/** 402: the wallet cannot cover the request's conservative bound (pre-check) or billing denied the reservation. */
export class InsufficientBalanceError extends ApiError {
  readonly status = 402;
  readonly type = 'insufficient_funds_error';
  readonly code = 'insufficient_balance';
}

/** 429: the key's requests-per-minute ceiling; `Retry-After` says when the next one is allowed. */
export class RateLimitedError extends ApiError {
  readonly status = 429;
  readonly type = 'rate_limit_error';
  readonly code = 'rate_limit_exceeded';

  constructor(
    readonly rpmLimit: number,
    readonly retryAfterSeconds: number,
  ) {
    super(`this API key may send ${rpmLimit} requests per minute; retry in ${retryAfterSeconds} s`);
  }
}

const count = (n: number) => n.toLocaleString('en-US');

/**
 * 422: the providers serving a model cannot run the task's volume inside its SLA window under
 * their rate limits; said at submission, before anything is written or reserved.
 */
export class SlaCapacityExceededError extends ApiError {
  readonly status = 422;
  readonly type = 'invalid_request_error';
  readonly code = 'sla_capacity_exceeded';

  constructor(readonly shortfalls: readonly SlaShortfall[]) {
    super(
      shortfalls
        .map(
          (s) =>
            `${s.model}: ${count(s.requests)} requests in ${count(s.slaMinutes)} minutes exceed what its providers' rate limits allow (about ${count(s.plannableRequests)} in that window); choose a longer sla`,
        )
        .join('; '),
    );
  }
}

export class IdempotencyKeyReusedError extends ApiError {
  readonly status = 422;
  readonly type = 'invalid_request_error';
  readonly code = 'idempotency_key_reused_with_different_request';

  constructor(key: string) {
    super(`Idempotency-Key "${key}" was already used with a different request body; use a new key for a new request`);
  }
}

/** A request the API refuses for a reason of its own (a file too large, a duplicate key, …): status and code say which. */
export class RequestError extends ApiError {
  readonly type: ApiErrorType;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    type: ApiErrorType = 'invalid_request_error',
  ) {
    super(message);
    this.type = type;
  }
}

/**
 * A real-time request that ended without an answer. The customer's own caps (price,
 * latency) are 422: the request can succeed with another cap; the market's state is 503.
 */
export class RealtimeFailedError extends RequestError {
  constructor(status: number, code: string, message: string) {
    super(status, code, message, status === 422 ? 'invalid_request_error' : status === 504 ? 'api_error' : 'provider_error');
  }
}
