import type { FastifyInstance } from 'fastify';
import { METRICS_CONTENT_TYPE, collectProcessMetrics, httpRequestSeconds, metricsText } from './metrics';

/**
 * One histogram observation per HTTP response, by route pattern (never the raw URL: ids in
 * paths would make a series per object). Fastify measures the time itself (`elapsedTime`).
 */
export function measureHttpRequests(app: FastifyInstance): void {
  app.addHook('onResponse', (request, reply, done) => {
    httpRequestSeconds.observe({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status: reply.statusCode }, reply.elapsedTime / 1_000);
    done();
  });
}

/** `GET /metrics` in Prometheus text format: this process's metrics (all its threads'). */
export function serveMetrics(app: FastifyInstance): void {
  collectProcessMetrics();
  app.get('/metrics', async (_request, reply) => {
    const text = await metricsText();
    return reply.header('content-type', METRICS_CONTENT_TYPE).send(text);
  });
}
