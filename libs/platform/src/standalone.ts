import { randomUUID } from 'node:crypto';
import { TopicSpecs } from '@sluice/events';
import { EventBus, createEventLog } from '@sluice/eventlog';
import { blobStoreConfigFromEnv, createBlobStore } from '@sluice/blobstore';
import { createClock } from './clock';
import type { DistributedServiceEnv } from './config';
import { configureLogging, logFormatFrom, logger, startTelemetry } from '@sluice/telemetry';
import { startProbeServer } from './probes';
import { loadCatalogueOrFail, resolveProviderEndpoints, unreachableProvidersWarning } from './providers-setup';
import type { RunningService, ServiceDefinition, ServiceRuntime } from './service';

/**
 * Runs one service as its own process on the distributed engine (Kafka), as a Deployment in
 * the Helm chart does. Stops cleanly on SIGTERM/SIGINT.
 */
export async function runStandalone(
  definition: ServiceDefinition,
  env: DistributedServiceEnv,
  http?: ServiceRuntime['http'],
): Promise<RunningService> {
  const instanceId = `${definition.name}-${randomUUID().slice(0, 8)}`;
  configureLogging({ level: env.LOG_LEVEL as string | undefined, format: logFormatFrom(env as Record<string, string | undefined>), service: definition.name });
  const say = logger('launcher', definition.name);
  // Spans go out over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set.
  const telemetry = startTelemetry({ serviceName: `sluice-${definition.name}` });
  const catalogue = loadCatalogueOrFail(env.SLUICE_CATALOGUE);
  const { endpoints: providerEndpoints, unreachable } = resolveProviderEndpoints(catalogue, env as Record<string, string | undefined>, env.SLUICE_PROVIDER_ENDPOINTS);
  const warning = unreachableProvidersWarning(unreachable);
  // Only the services that call providers care; the others would repeat it.
  if (warning && (definition.name === 'api' || definition.name === 'router')) {
    say.warn({ providers: unreachable.map((p) => p.id) }, warning);
  }
  const clock = createClock({
    scale: env.SLUICE_TIME_SCALE,
    origin: env.SLUICE_CLOCK_ORIGIN ? new Date(env.SLUICE_CLOCK_ORIGIN) : undefined,
  });
  const probes =
    env.HEALTH_PORT === undefined
      ? undefined
      : await startProbeServer({ service: definition.name, instanceId, port: env.HEALTH_PORT, logHealth: () => log.health() });
  const log = await createEventLog({
    kind: 'kafka',
    brokers: env.KAFKA_BROKERS,
    clientId: env.KAFKA_CLIENT_ID ?? `sluice-${definition.name}`,
  });
  await log.ensureTopics(TopicSpecs);
  const blobs = createBlobStore(blobStoreConfigFromEnv(env as Record<string, string | undefined>));
  const running = await definition.start({
    service: definition.name,
    instanceId,
    startedAt: new Date(),
    bus: new EventBus(log),
    heartbeatIntervalMs: env.HEARTBEAT_INTERVAL_MS,
    database: { service: definition.name, mode: 'postgres', url: env.DATABASE_URL, migrate: env.MIGRATE_ON_START },
    clock,
    catalogue,
    providerEndpoints,
    http,
    blobs,
  });
  probes?.started();
  const stop = async () => {
    probes?.draining();
    await running.stop();
    await log.close();
    await blobs.close();
    await telemetry?.shutdown();
    await probes?.close();
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void stop().then(() => process.exit(0), () => process.exit(1)));
  }
  if (probes) say.info({ instanceId, probesPort: probes.port }, 'probes listening');
  return { url: running.url, stop };
}

/** The body of every service's `main.ts`: read config, run, exit with the reason on failure. */
export function mainStandalone(
  definition: ServiceDefinition,
  loadConfig: () => DistributedServiceEnv & { PORT?: number; HOST?: string; SLUICE_ADMIN_KEY?: string; SLUICE_MAX_UPLOAD_BYTES?: number },
): void {
  Promise.resolve()
    .then(() => {
      const config = loadConfig();
      const http =
        config.PORT !== undefined && config.HOST
          ? { host: config.HOST, port: config.PORT, adminKey: config.SLUICE_ADMIN_KEY, maxUploadBytes: config.SLUICE_MAX_UPLOAD_BYTES }
          : undefined;
      return runStandalone(definition, config, http);
    })
    .catch((err: Error) => {
      // On stderr, like the embedded launcher (supervisors and scripts read it), and as a log line.
      console.error(err.message);
      try {
        logger('launcher', definition.name).fatal({ error: err.message }, 'refused to start');
      } catch {
        // The logger itself was misconfigured (LOG_LEVEL): stderr says so already.
      }
      process.exit(1);
    });
}
