import type { ServiceName } from '@sluice/events';
import type { EventBus } from '@sluice/eventlog';
import type { ServiceDatabaseOptions } from '@sluice/persistence';

/** What a service gets from its host, whichever engine runs it. */
export interface ServiceRuntime {
  service: ServiceName;
  instanceId: string;
  startedAt: Date;
  bus: EventBus;
  heartbeatIntervalMs: number;
  /** The service's own database: embedded PGlite in the data folder, or PostgreSQL. */
  database: ServiceDatabaseOptions;
  /** Set for the API: where it listens. */
  http?: { host: string; port: number };
}

export interface RunningService {
  /** The HTTP address when the service listens (the API). */
  readonly url?: string;
  stop(): Promise<void>;
}

/** A service as the hosts see it: the embedded launcher runs all five in one process. */
export interface ServiceDefinition {
  name: ServiceName;
  start(runtime: ServiceRuntime): Promise<RunningService>;
}
