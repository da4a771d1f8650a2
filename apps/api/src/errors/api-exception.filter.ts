import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, RateLimitedError, ValidationError, type ApiErrorType } from './api-error';
import type { ErrorEnvelope, OpenAiErrorEnvelope } from './error-envelope';

export type { ErrorEnvelope, OpenAiErrorEnvelope } from './error-envelope';

/** Framework errors (unknown route, unreadable JSON, body too large) in the same envelope. */
function fromHttpException(err: HttpException): { status: number; body: ErrorEnvelope } {
  const status = err.getStatus();
  const code = status === 404 ? 'not_found' : status === 413 ? 'payload_too_large' : status === 400 ? 'invalid_request' : 'http_error';
  const type: ApiErrorType = status === 404 ? 'not_found_error' : status < 500 ? 'invalid_request_error' : 'api_error';
  return { status, body: { error: { type, message: err.message, code } } };
}

/** The codes of Fastify's own client errors, by status (any other is `invalid_request`). */
export const FRAMEWORK_CODES: Partial<Record<number, string>> = {
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  431: 'headers_too_large',
};

/** Fastify's own errors (e.g. a body that is not JSON) carry a statusCode but are not HttpExceptions. */
function isClientError(err: unknown): err is Error & { statusCode: number } {
  const statusCode = (err as { statusCode?: unknown } | null)?.statusCode;
  return err instanceof Error && typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500;
}

/**
 * Routes of the OpenAI-compatible surface: their errors take OpenAI's shape, which the official
 * SDKs parse into typed errors: `param` names the field, and a bad field is 400, not 422.
 */
const OPENAI_ROUTES = /^\/v1\/(chat|models|files|batches)(\/|\?|$)/;
export const isOpenAiRoute = (url: string): boolean => OPENAI_ROUTES.test(url);


/** The same error in OpenAI's envelope (`fields` kept as an extension). */
export function openAiFlavour(status: number, body: ErrorEnvelope): { status: number; body: OpenAiErrorEnvelope } {
  const { type, message, code, fields } = body.error;
  const param = fields?.[0]?.field ?? null;
  return {
    status: status === 422 && code === 'validation_error' ? 400 : status,
    body: { error: { message, type, param, code, ...(fields ? { fields } : {}) } },
  };
}

/** The envelope a route answers errors in: OpenAI's on the OpenAI-compatible routes, ours elsewhere. */
export function forRoute(url: string, response: { status: number; body: ErrorEnvelope }): { status: number; body: ErrorEnvelope | OpenAiErrorEnvelope } {
  return isOpenAiRoute(url) ? openAiFlavour(response.status, response.body) : response;
}

/**
 * Maps every error an endpoint throws to the one envelope of API-CONVENTIONS.md, or, on the
 * OpenAI-compatible routes, to OpenAI's.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Api');

  catch(err: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const { status, body } = forRoute(http.getRequest<FastifyRequest>().url, this.toResponse(err));
    if (err instanceof RateLimitedError) void reply.header('retry-after', String(err.retryAfterSeconds));
    void reply.status(status).send(body);
  }

  /** The status and envelope for an error (also for a stream that must report one as an event). */
  toResponse(err: unknown): { status: number; body: ErrorEnvelope } {
    if (err instanceof ApiError) {
      const fields = err instanceof ValidationError ? { fields: err.fields } : {};
      return { status: err.status, body: { error: { type: err.type, message: err.message, code: err.code, ...fields } } };
    }
    if (err instanceof HttpException) return fromHttpException(err);
    if (isClientError(err)) {
      return { status: err.statusCode, body: { error: { type: 'invalid_request_error', message: err.message, code: FRAMEWORK_CODES[err.statusCode] ?? 'invalid_request' } } };
    }
    this.logger.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    return { status: 500, body: { error: { type: 'api_error', message: 'internal error', code: 'internal_error' } } };
  }
}
