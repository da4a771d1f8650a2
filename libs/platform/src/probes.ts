import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LogHealth } from '@sluice/eventlog';
import { METRICS_CONTENT_TYPE, collectProcessMetrics, metricsEnabled, metricsText } from '@sluice/telemetry';

export interface ProbeServer {
  readonly port: number;
  /** The service has started: /readyz answers from its event log from now on (503 `starting` before). */
  started(): void;
  /** From now on /readyz answers 503 (the service is stopping); /livez still answers 200. */
  draining(): void;
  close(): Promise<void>;
}

export interface ProbeOptions {
  service: string;
  instanceId: string;
  host?: string;
  port: number;
  /** Whether this process reaches its event log (Kafka): readiness asks it on every probe. */
  logHealth: () => Promise<LogHealth>;
}

/**
 * The probes a Kubernetes Deployment points at (`HEALTH_PORT`), one process each, unlike the
 * API's `/healthz`, which reports the whole exchange from heartbeats:
 * - `GET /livez`: 200 while the process runs and its event loop answers;
 * - `GET /readyz`: 200 when the service has started and reaches its event log, 503 otherwise
 *   (`starting`, `log_unavailable`, and `stopping` from SIGTERM on).
 * - `GET /metrics`: the process's Prometheus metrics (unless SLUICE_METRICS=false).
 * It listens before the service starts, so a slow start (migrations, topic creation) is seen.
 */
export async function startProbeServer(options: ProbeOptions): Promise<ProbeServer> {
  let state: 'starting' | 'started' | 'stopping' = 'starting';
  const metrics = metricsEnabled();
  if (metrics) collectProcessMetrics();
  const identity = { service: options.service, instanceId: options.instanceId };
  const server: Server = createServer((req, res) => {
    const send = (status: number, body: object) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ...identity, ...body }));
    };
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, { status: 'method_not_allowed' });
    if (path === '/livez') return send(200, { status: 'ok' });
    if (path === '/readyz') {
      if (state !== 'started') return send(503, { status: state });
      options.logHealth().then(
        (log) => send(log.ok ? 200 : 503, { status: log.ok ? 'ok' : 'log_unavailable', log }),
        (err: Error) => send(503, { status: 'log_unavailable', log: { ok: false, detail: err.message } }),
      );
      return;
    }
    if (path === '/metrics' && metrics) {
      metricsText().then(
        (text) => {
          res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE });
          res.end(text);
        },
        (err: Error) => send(500, { status: 'metrics_failed', detail: err.message }),
      );
      return;
    }
    send(404, { status: 'not_found', probes: ['/livez', '/readyz', ...(metrics ? ['/metrics'] : [])] });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    started: () => {
      if (state === 'starting') state = 'started';
    },
    draining: () => {
      state = 'stopping';
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
