import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiError, ValidationError, type ApiErrorType } from './api-error';

export interface ErrorEnvelope {
  error: { type: ApiErrorType; message: string; code: string; fields?: { field: string; message: string }[] };
}

/** Framework errors (unknown route, unreadable JSON, body too large) in the same envelope. */
function fromHttpException(err: HttpException): { status: number; body: ErrorEnvelope } {
  const status = err.getStatus();
  const code = status === 404 ? 'not_found' : status === 413 ? 'payload_too_large' : status === 400 ? 'invalid_request' : 'http_error';
  const type: ApiErrorType = status === 404 ? 'not_found_error' : status < 500 ? 'invalid_request_error' : 'api_error';
  return { status, body: { error: { type, message: err.message, code } } };
}

/** Fastify's own errors (e.g. a body that is not JSON) carry a statusCode but are not HttpExceptions. */
function isClientError(err: unknown): err is Error & { statusCode: number } {
  const statusCode = (err as { statusCode?: unknown } | null)?.statusCode;
  return err instanceof Error && typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500;
}

/** Maps every error an endpoint throws to the one envelope of API-CONVENTIONS.md. */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Api');

  catch(err: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { status, body } = this.toResponse(err);
    void reply.status(status).send(body);
  }

  private toResponse(err: unknown): { status: number; body: ErrorEnvelope } {
    if (err instanceof ApiError) {
      const fields = err instanceof ValidationError ? { fields: err.fields } : {};
      return { status: err.status, body: { error: { type: err.type, message: err.message, code: err.code, ...fields } } };
    }
    if (err instanceof HttpException) return fromHttpException(err);
    if (isClientError(err)) {
      const code = err.statusCode === 413 ? 'payload_too_large' : 'invalid_request';
      return { status: err.statusCode, body: { error: { type: 'invalid_request_error', message: err.message, code } } };
    }
    this.logger.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    return { status: 500, body: { error: { type: 'api_error', message: 'internal error', code: 'internal_error' } } };
  }
}
