import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { isStorableText, UNSTORABLE_MESSAGE } from '@sluice/events';
import type { FastifyError, FastifyReply, FastifyServerOptions } from 'fastify';
import { maxHeaderSize, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { RequestError, ValidationError } from './api-error';
import { ApiExceptionFilter, forRoute, type ErrorEnvelope } from './api-exception.filter';

const filter = new ApiExceptionFilter();

/** What Fastify answers itself, before any route runs (so before Nest's filter), as our errors. */
function fromFramework(err: FastifyError): unknown {
  // Fastify's own messages quote the whole path, however long.
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') return new RequestError(414, 'uri_too_long', 'a segment of the path is longer than 100 characters');
  if (err.code === 'FST_ERR_BAD_URL') return new RequestError(400, 'invalid_request', 'the path holds a percent-escape that is not UTF-8');
  return err;
}

/**
 * A request Node's HTTP parser refuses (headers too large, not HTTP) has no route, no URL and no
 * Fastify reply: the answer is written to the socket, in our envelope, and the connection closed.
 */
function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'headers_too_large', `the request's headers are larger than ${maxHeaderSize} bytes`]
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request_timeout', 'the request was not received in time']
        : [400, 'invalid_request', 'the request is not valid HTTP/1.1'];
  const envelope: ErrorEnvelope = { error: { type: 'invalid_request_error', message, code } };
  const body = JSON.stringify(envelope);
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(err);
}

/**
 * The API's Fastify server options: errors raised before any route is reached answer in the
 * envelope; behind a TLS ingress, `X-Forwarded-Proto`/`-Host` say where the caller reached us
 * (output_url points back there; a caller that forges them only misleads itself).
 */
export const apiServerOptions: Pick<FastifyServerOptions, 'frameworkErrors' | 'clientErrorHandler' | 'trustProxy'> = {
  trustProxy: true,
  frameworkErrors(err, request, reply) {
    const { status, body } = forRoute(request.url, filter.toResponse(fromFramework(err)));
    // The reply's generics are the route's, and this runs before any route.
    void (reply as FastifyReply).status(status).send(body);
  },
  clientErrorHandler,
};

/**
 * Path parameters (ids, file names) are looked up in PostgreSQL, which cannot take NUL or a lone
 * surrogate: such a parameter is a 422 naming it, for every route, before the route runs.
 */
export function registerHttpEdge(app: NestFastifyApplication): void {
  app.getHttpAdapter().getInstance().addHook('onRequest', (request, _reply, done) => {
    const params = (request.params ?? {}) as Record<string, unknown>;
    const bad = Object.keys(params).filter((name) => typeof params[name] === 'string' && !isStorableText(params[name]));
    done(bad.length === 0 ? undefined : new ValidationError(bad.map((name) => ({ field: `path.${name}`, message: `${name} ${UNSTORABLE_MESSAGE}` }))));
  });
}
