import type { LogHealth } from '@sluice/eventlog';
import { startProbeServer, type ProbeServer } from './probes';

describe('probe server', () => {
  let log: LogHealth = { ok: true, detail: 'kafka: 1 broker' };
  let probes: ProbeServer;
  beforeEach(async () => {
    log = { ok: true, detail: 'kafka: 1 broker' };
    probes = await startProbeServer({ service: 'router', instanceId: 'router-1', host: '127.0.0.1', port: 0, logHealth: async () => log });
    probes.started();
  });
  afterEach(() => probes.close());

  const get = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${probes.port}${path}`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('is live and ready while the process runs and reaches its log', async () => {
    expect(await get('/livez')).toEqual({ status: 200, body: { service: 'router', instanceId: 'router-1', status: 'ok' } });
    expect(await get('/readyz')).toMatchObject({ status: 200, body: { status: 'ok', log: { ok: true } } });
  });

  it('is live but not ready while the service starts', async () => {
    const starting = await startProbeServer({ service: 'billing', instanceId: 'billing-1', host: '127.0.0.1', port: 0, logHealth: async () => log });
    try {
      const ready = await fetch(`http://127.0.0.1:${starting.port}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ service: 'billing', status: 'starting' });
      expect((await fetch(`http://127.0.0.1:${starting.port}/livez`)).status).toBe(200);
    } finally {
      await starting.close();
    }
  });

  it('is not ready when the log is unreachable, and says so', async () => {
    log = { ok: false, detail: 'no broker answers' };
    expect(await get('/readyz')).toMatchObject({ status: 503, body: { status: 'log_unavailable', log: { detail: 'no broker answers' } } });
    expect((await get('/livez')).status).toBe(200);
  });

  it('stops being ready once draining, while staying live', async () => {
    probes.draining();
    expect(await get('/readyz')).toMatchObject({ status: 503, body: { status: 'stopping' } });
    expect((await get('/livez')).status).toBe(200);
  });

  it("serves the process's metrics in Prometheus text (a service without HTTP of its own)", async () => {
    const res = await fetch(`http://127.0.0.1:${probes.port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const families = [...(await res.text()).matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]);
    expect(families).toEqual(expect.arrayContaining(['process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'sluice_provider_call_duration_seconds', 'sluice_consumer_lag']));
  });

  it('answers 404 naming the probes for any other path', async () => {
    expect(await get('/healthz')).toMatchObject({ status: 404, body: { probes: ['/livez', '/readyz', '/metrics'] } });
  });
});
