import type { EventOf, ServiceName } from '@sluice/events';

export interface ServiceSighting {
  instanceId: string;
  status: 'up' | 'degraded' | 'stopping';
  startedAt: string;
  lastSeenAt: string;
}

export type ServiceHealthState = Partial<Record<ServiceName, Record<string, ServiceSighting>>>;

/** Folds heartbeats into the instances seen per service (pure; the clock comes from events). */
export function evolveServiceHealth(state: ServiceHealthState, event: EventOf<'ServiceHeartbeat'>): ServiceHealthState {
  const { service, instanceId, status, startedAt } = event.payload;
  const instances = { ...(state[service] ?? {}) };
  if (status === 'stopping') delete instances[instanceId];
  else instances[instanceId] = { instanceId, status, startedAt, lastSeenAt: event.occurredAt };
  return { ...state, [service]: instances };
}

export const ALL_SERVICES: readonly ServiceName[] = ['api', 'scheduler', 'router', 'billing', 'files'];

export interface ServiceReport {
  status: 'up' | 'down';
  instances: number;
  lastSeenAt: string | null;
}

/** A service is up when one of its instances beat within `staleAfterMs` of `now`. */
export function reportServiceHealth(
  state: ServiceHealthState,
  now: Date,
  staleAfterMs: number,
): Record<ServiceName, ServiceReport> {
  const report = {} as Record<ServiceName, ServiceReport>;
  for (const service of ALL_SERVICES) {
    const live = Object.values(state[service] ?? {}).filter(
      (s) => s.status === 'up' && now.getTime() - Date.parse(s.lastSeenAt) <= staleAfterMs,
    );
    const lastSeenAt = live.map((s) => s.lastSeenAt).sort().at(-1) ?? null;
    report[service] = { status: live.length > 0 ? 'up' : 'down', instances: live.length, lastSeenAt };
  }
  return report;
}
