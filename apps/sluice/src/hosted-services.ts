import { randomUUID } from 'node:crypto';
import type { BlobStore } from '@sluice/blobstore';
import type { Catalogue } from '@sluice/catalogue';
import type { ServiceName } from '@sluice/events';
import type { EventBus } from '@sluice/eventlog';
import type { ServiceDatabaseOptions } from '@sluice/persistence';
import type { Clock, ProviderEndpoint, RunningService } from '@sluice/platform';
import type { EmbeddedConfig } from './config';
import { loadService } from './services';

/** What the services of one thread share: the log, the clock, the catalogue, the blob store. */
export interface ServiceHostContext {
  config: EmbeddedConfig;
  bus: EventBus;
  clock: Clock;
  catalogue: Catalogue;
  providerEndpoints: Readonly<Record<string, ProviderEndpoint>>;
  blobs: BlobStore;
  database: (service: ServiceName) => ServiceDatabaseOptions;
  /** The operator key of the admin endpoints (the API's). */
  adminKey?: string;
}

/** Starts `names` in order; if one fails, the ones started are stopped again. */
export async function startServices(names: readonly ServiceName[], context: ServiceHostContext): Promise<RunningService[]> {
  const { config } = context;
  const running: RunningService[] = [];
  try {
    for (const name of names) {
      running.push(
        await loadService(name).start({
          service: name,
          instanceId: `${name}-${randomUUID().slice(0, 8)}`,
          startedAt: new Date(),
          bus: context.bus,
          heartbeatIntervalMs: config.HEARTBEAT_INTERVAL_MS,
          database: context.database(name),
          clock: context.clock,
          catalogue: context.catalogue,
          providerEndpoints: context.providerEndpoints,
          http: name === 'api' ? { host: config.HOST, port: config.PORT, adminKey: context.adminKey, maxUploadBytes: config.SLUICE_MAX_UPLOAD_BYTES } : undefined,
          blobs: context.blobs,
        }),
      );
    }
  } catch (err) {
    await stopServices(running);
    throw err;
  }
  return running;
}

/** Stops services in the reverse of their start order. */
export async function stopServices(running: readonly RunningService[]): Promise<void> {
  for (const service of [...running].reverse()) await service.stop();
}
