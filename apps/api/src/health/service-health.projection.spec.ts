import { createEvent, ServiceHeartbeat, type ServiceName } from '@sluice/events';
import { evolveServiceHealth, reportServiceHealth, type ServiceHealthState } from './service-health.projection';

let n = 0;
const beat = (service: ServiceName, instanceId: string, at: string, status: 'up' | 'stopping' = 'up') =>
  createEvent(
    ServiceHeartbeat,
    { service, instanceId, startedAt: '2026-11-23T10:00:00.000Z', status },
    { correlationId: instanceId },
    { now: () => new Date(at), newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}` },
  );

const fold = (...events: ReturnType<typeof beat>[]) =>
  events.reduce<ServiceHealthState>((s, e) => evolveServiceHealth(s, e), {});

describe('service health projection', () => {
  const now = new Date('2026-11-23T10:00:10.000Z');

  it('reports a service up when an instance beat recently, down when never seen', () => {
    const report = reportServiceHealth(fold(beat('billing', 'b1', '2026-11-23T10:00:09.000Z')), now, 6000);
    expect(report.billing).toEqual({ status: 'up', instances: 1, lastSeenAt: '2026-11-23T10:00:09.000Z' });
    expect(report.router).toEqual({ status: 'down', instances: 0, lastSeenAt: null });
  });

  it('reports a service down when its last beat is stale', () => {
    const report = reportServiceHealth(fold(beat('router', 'r1', '2026-11-23T10:00:01.000Z')), now, 6000);
    expect(report.router.status).toBe('down');
  });

  it('forgets an instance that said it is stopping, keeps the others', () => {
    const state = fold(
      beat('files', 'f1', '2026-11-23T10:00:08.000Z'),
      beat('files', 'f2', '2026-11-23T10:00:09.000Z'),
      beat('files', 'f1', '2026-11-23T10:00:09.500Z', 'stopping'),
    );
    expect(reportServiceHealth(state, now, 6000).files).toEqual({
      status: 'up',
      instances: 1,
      lastSeenAt: '2026-11-23T10:00:09.000Z',
    });
  });
});
