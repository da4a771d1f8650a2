import type { ServiceName } from '@sluice/events';
import type { EventBus } from '@sluice/eventlog';
import type { ServiceDatabaseOptions } from '@sluice/persistence';
import type { Catalogue } from '@sluice/catalogue';
import type { Clock } from './clock';
import type { BlobStore } from '@sluice/blobstore';

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
  /** Set for the API: where it listens, the operator's admin key (admin endpoints), the upload size limit. */
  http?: { host: string; port: number; adminKey?: string; maxUploadBytes?: number };
  /** Uploaded files and output files: a folder in the data folder, or S3 when services run apart. */
  blobs: BlobStore;
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
