import type { ServiceName } from '@sluice/events';
import type { EventBus } from '@sluice/eventlog';
import type { ServiceDatabaseOptions } from '@sluice/persistence';
import type { Catalogue } from '@sluice/catalogue';
import type { Clock } from './clock';

/** What a service gets from its host, whichever engine runs it. */
export interface ServiceRuntime {
  service: ServiceName;
  instanceId: string;
  startedAt: Date;
  bus: EventBus;
  heartbeatIntervalMs: number;
  /** The service's own database: embedded PGlite in the data folder, or PostgreSQL. */
  database: ServiceDatabaseOptions;
  clock: Clock;
  /** The provider catalogue the operator configured (validated at start). */
  catalogue: Catalogue;
  /** Where each provider is reached and with which key (the demo market's loopback URLs, or real ones). */
  providerEndpoints: Readonly<Record<string, ProviderEndpoint>>;
  /** Set for the API: where it listens, and the operator's admin key (admin endpoints). */
  http?: { host: string; port: number; adminKey?: string };
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

export interface ProviderEndpoint {
  baseUrl: string;
  apiKey: string;
}
