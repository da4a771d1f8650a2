import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createBlobStore, type BlobStoreConfig } from '@sluice/blobstore';
import type { Catalogue } from '@sluice/catalogue';
import { startDemoMarket, startDemoMarketThread, type DemoMarket, type ThreadClock } from '@sluice/demo-market';
import { TopicSpecs, type ServiceName } from '@sluice/events';
import { EventBus, createEventLog, type EventLog } from '@sluice/eventlog';
import type { ServiceDatabaseOptions } from '@sluice/persistence';
import {
  admissionPriority,
  continueStoredClock,
  createClock,
  demoApiKeysFrom,
  loadCatalogueOrFail,
  resolveProviderEndpoints,
  unreachableProvidersWarning,
  type Clock,
  type ProviderEndpoint,
  type RunningService,
} from '@sluice/platform';
import { logger } from '@sluice/telemetry';
import { embeddedAdminKey } from './admin-key';
import type { EmbeddedConfig } from './config';
import { startServices, stopServices, type ServiceHostContext } from './hosted-services';
import { SERVICE_ORDER } from './services';
import { startServicesThread, type ServicesThread } from './services-thread';

export interface EmbeddedSluice {
  url: string;
  log: EventLog;
  clock: Clock;
  /** The demo provider market, serving the catalogue's demo:// providers (none: no market). */
  market?: DemoMarket;
  /**
   * Settles, with the reason, if a part of this process ended on its own (the services thread,
   * the demo market's thread): Sluice then runs only in part, and `npm start` stops and exits
   * with an error. Never rejects.
   */
  lost: Promise<Error>;
  /**
   * Distributed engine only: starts one more API replica in this process, as a second pod
   * would run: its own Kafka client and HTTP port (free), the same API database, log, clock
   * and demo market. `stop()` of Sluice stops it too.
   */
  startApiReplica?: () => Promise<ApiReplica>;
  stop(): Promise<void>;
}

export interface ApiReplica {
  url: string;
  stop(): Promise<void>;
}

/**
 * Which log and databases the in-process services use. `npm start` runs on the embedded
 * engine; the end-to-end suites also run the same process on real Kafka and PostgreSQL.
 */
export type Engine =
  | { kind: 'embedded' }
  | { kind: 'distributed'; brokers: string[]; databaseUrls: Readonly<Record<ServiceName, string>>; blobs?: BlobStoreConfig };

function startMarket(config: EmbeddedConfig, catalogue: Catalogue, threadClock: ThreadClock, clock: Clock): Promise<DemoMarket> {
  const options = {
    apiKeys: demoApiKeysFrom(catalogue, config as Record<string, string | undefined>),
    seed: config.SLUICE_DEMO_SEED,
    latencyScale: config.SLUICE_DEMO_LATENCY_SCALE,
    // Batch jobs age on the simulated clock, so their turnaround is not divided again.
    turnaroundScale: config.SLUICE_DEMO_LATENCY_SCALE,
  };
  if (!config.SLUICE_DEMO_MARKET_THREAD) return startDemoMarket(catalogue, { ...options, now: () => clock.now().getTime() });
  return startDemoMarketThread(catalogue, options, threadClock);
}

/**
 * All five services in one process on the embedded log and embedded databases in the data
 * folder, with the demo provider market on loopback for the catalogue's demo:// providers
 * (real ones are called at their base URL with the key their `apiKeyEnv` names).
 * On the embedded engine the API runs on this thread and the other four on a thread of their
 * own (SLUICE_SERVICE_THREAD), on this thread's log.
 */
export async function startEmbedded(config: EmbeddedConfig, engine: Engine = { kind: 'embedded' }): Promise<EmbeddedSluice> {
  mkdirSync(config.SLUICE_DATA_DIR, { recursive: true });
  const catalogue = loadCatalogueOrFail(config.SLUICE_CATALOGUE);
  const adminKey = embeddedAdminKey(config.SLUICE_DATA_DIR, config.SLUICE_ADMIN_KEY);
  // As figures, so that the market's and the services' threads run the same clock; continued
  // from the data folder's, so simulated time never goes back across a restart.
  const threadClock: ThreadClock = continueStoredClock(join(config.SLUICE_DATA_DIR, 'clock.json'), {
    scale: config.SLUICE_TIME_SCALE,
    origin: config.SLUICE_CLOCK_ORIGIN ? new Date(config.SLUICE_CLOCK_ORIGIN) : undefined,
  });
  const clock = createClock({ scale: threadClock.scale, origin: new Date(threadClock.originMs), realOrigin: threadClock.realOriginMs });
  const env = config as Record<string, string | undefined>;
  // Resolved once without a market to learn whether any demo:// provider still needs one.
  const needsMarket = resolveProviderEndpoints(catalogue, env, config.SLUICE_PROVIDER_ENDPOINTS).unreachable.some((p) => p.missing === 'demo_market');
  const market = needsMarket ? await startMarket(config, catalogue, threadClock, clock) : undefined;
  const failing = Object.entries(config.SLUICE_DEMO_FAILURES);
  const unknown = failing.filter(([id]) => !market || market.providers[id] === undefined).map(([id]) => id);
  if (unknown.length > 0) {
    await market?.stop();
    throw new Error(`SLUICE_DEMO_FAILURES names ${unknown.join(', ')}, which the demo market does not run (it runs ${Object.keys(market?.providers ?? {}).join(', ') || 'nothing'})`);
  }
  for (const [id, rate] of failing) market!.setFailures(id, { rate429: rate / 2, rate5xx: rate / 2 });
  const { endpoints, unreachable } = resolveProviderEndpoints(catalogue, env, config.SLUICE_PROVIDER_ENDPOINTS, market);
  const providerEndpoints: Record<string, ProviderEndpoint> = endpoints;
  const warning = unreachableProvidersWarning(unreachable);
  if (warning) logger('launcher', 'sluice').warn({ providers: unreachable.map((p) => p.id) }, warning);

  let log: EventLog;
  try {
    log = await createEventLog(
      engine.kind === 'embedded'
        ? { kind: 'embedded', dir: join(config.SLUICE_DATA_DIR, 'log') }
        : { kind: 'kafka', brokers: engine.brokers, clientId: 'sluice' },
    );
  } catch (err) {
    // E.g. the data folder is in use: the market's thread must not keep the process alive.
    await market?.stop();
    throw err;
  }
  await log.ensureTopics(TopicSpecs);
  const blobs = createBlobStore((engine.kind === 'distributed' ? engine.blobs : undefined) ?? { kind: 'fs', dir: join(config.SLUICE_DATA_DIR, 'blobs') });
  const database = (service: ServiceName): ServiceDatabaseOptions =>
    engine.kind === 'embedded'
      ? { service, mode: 'embedded', dataDir: config.SLUICE_DATA_DIR }
      : { service, mode: 'postgres', url: engine.databaseUrls[service], migrate: true };
  const threaded = engine.kind === 'embedded' && config.SLUICE_SERVICE_THREAD;
  const here = threaded ? SERVICE_ORDER.filter((name) => name === 'api') : SERVICE_ORDER;
  const elsewhere = SERVICE_ORDER.filter((name) => !here.includes(name));
  const running: RunningService[] = [];
  const replicas: ApiReplica[] = [];
  let thread: ServicesThread | undefined;
  // Once: a second call waits for the first (a test may stop Sluice to run operator commands, then clean up).
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await thread?.stop();
      for (const replica of replicas.splice(0)) await replica.stop();
      await stopServices(running);
      await log.close();
      await blobs.close();
      await market?.stop();
    })());
  const context: ServiceHostContext = { config, bus: new EventBus(log), clock, catalogue, providerEndpoints, blobs, database, adminKey };
  try {
    running.push(...(await startServices(here, context)));
    // Submissions on this thread go first (AdmissionPriority): the services thread gets no batch while one is admitted.
    const beforeBatch = () => admissionPriority.backgroundTurn();
    if (elsewhere.length > 0) thread = await startServicesThread(log, { config, services: elsewhere, clock: threadClock, providerEndpoints }, { beforeBatch });
  } catch (err) {
    await stop();
    throw err;
  }
  const never = new Promise<Error>(() => undefined);
  const lost = Promise.race([thread?.lost ?? never, market?.lost ?? never]);
  const startApiReplica =
    engine.kind === 'distributed'
      ? async (): Promise<ApiReplica> => {
          const replicaLog = await createEventLog({ kind: 'kafka', brokers: engine.brokers, clientId: `sluice-api-${replicas.length + 2}` });
          let api: RunningService[];
          try {
            api = await startServices(['api'], { ...context, config: { ...config, PORT: 0 }, bus: new EventBus(replicaLog) });
          } catch (err) {
            await replicaLog.close();
            throw err;
          }
          const replica: ApiReplica = {
            url: api[0].url ?? '',
            stop: async () => {
              await stopServices(api);
              await replicaLog.close();
            },
          };
          replicas.push(replica);
          return replica;
        }
      : undefined;
  return { url: running[0].url ?? '', log, clock, market, lost, startApiReplica, stop };
}
