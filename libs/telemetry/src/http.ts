import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace, type Context, type Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { heartbeatsTraced, tracer, tracingEnabled } from './telemetry';

const TRACE = Symbol('sluice.trace');
type Traced = FastifyRequest & { [TRACE]?: { span: Span; ctx: Context } };

/** Probes and scrapes: asked every few seconds, about nothing a trace follows (see heartbeatsTraced). */
const PROBES = new Set(['/healthz', '/readyz', '/livez', '/metrics']);

/**
 * A SERVER span per HTTP request (continuing the caller's `traceparent` header when it sends
 * one), active while the route handler runs, so the events the request emits carry its trace.
 * Nothing is added when telemetry is off.
 */
export function traceHttpRequests(app: FastifyInstance): void {
  if (!tracingEnabled()) return;
  const probesTraced = heartbeatsTraced();
  app.addHook('onRequest', (request: Traced, _reply, done) => {
    if (!probesTraced && PROBES.has(request.url.split('?')[0].replace(/\/+$/, ''))) return done();
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const span = tracer().startSpan(
      `${request.method}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'url.path': request.url.split('?')[0] } },
      parent,
    );
    request[TRACE] = { span, ctx: trace.setSpan(parent, span) };
    done();
  });
  // The body is read by now: the handler runs inside the request's span from here.
  app.addHook('preHandler', (request: Traced, _reply, done) => {
    const traced = request[TRACE];
    if (traced) context.with(traced.ctx, done);
    else done();
  });
  app.addHook('onResponse', (request: Traced, reply, done) => {
    const traced = request[TRACE];
    if (traced) {
      const route = request.routeOptions.url;
      if (route) traced.span.updateName(`${request.method} ${route}`);
      traced.span.setAttributes({ 'http.response.status_code': reply.statusCode, ...(route ? { 'http.route': route } : {}) });
      if (reply.statusCode >= 500) traced.span.setStatus({ code: SpanStatusCode.ERROR });
      traced.span.end();
    }
    done();
  });
}
