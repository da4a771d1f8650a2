import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBlobStore, type BlobStore } from '@sluice/blobstore';
import { loadCatalogue, type Catalogue } from '@sluice/catalogue';
import { startDemoMarket, startDemoMarketThread, type DemoMarket, type DemoMarketOptions } from '@sluice/demo-market';
import { EventTypes, TopicSpecs, declareConsumer, type EventType, type SluiceEvent } from '@sluice/events';
import { EventBus, createEventLog, type EventLog, type Subscription } from '@sluice/eventlog';
import { createClock, type Clock, type RunningService, type ServiceDefinition } from '@sluice/platform';

export interface ServiceHarness {
  bus: EventBus;
  log: EventLog;
  clock: Clock;
  catalogue: Catalogue;
  market?: DemoMarket;
  /** The service's blob store (a folder in the harness's temp dir). */
  blobs: BlobStore;
  /** The HTTP address when the service listens (the API). */
  url?: string;
  /** Every event seen on the log so far, in arrival order. */
  events(): SluiceEvent[];
  eventsOf<T extends EventType>(type: T): Extract<SluiceEvent, { type: T }>[];
  /** Resolves with the first event (seen or to come) matching `predicate`. */
  waitFor<T extends EventType>(type: T, predicate?: (e: Extract<SluiceEvent, { type: T }>) => boolean, timeoutMs?: number): Promise<Extract<SluiceEvent, { type: T }>>;
  stop(): Promise<void>;
}

export interface ServiceHarnessOptions {
  /** Runs on this folder (log, database, blobs) and keeps it on stop: a second harness on it is the service restarted. */
  dataDir?: string;
  /** Start the demo market and hand its endpoints to the service. */
  market?: DemoMarketOptions | false;
  /** Runs the market on its own thread (as the launcher does): its timing is then not the service's. */
  marketThread?: boolean;
  timeScale?: number;
  /** Where the service's clock starts (default: now); prices follow the time of day, so tests of a plan pin it. */
  clockOrigin?: Date;
  http?: boolean;
  /** The operator's admin key the API accepts (with `http`). */
  adminKey?: string;
}

/** The harness records every event but the heartbeats. */
const RECORDER = declareConsumer({ name: 'harness-recorder', handles: EventTypes.filter((type) => type !== 'ServiceHeartbeat') });

export const TEST_ADMIN_KEY = 'sk_admin_test_0123456789';

/**
 * Runs ONE service as the embedded launcher would (embedded log and PGlite in a temp folder),
 * records every event on the log, so a test publishes the events the service consumes and
 * asserts on the events it produces.
 */
export async function startServiceHarness(definition: ServiceDefinition, options: ServiceHarnessOptions = {}): Promise<ServiceHarness> {
  const dir = options.dataDir ?? mkdtempSync(join(tmpdir(), `sluice-${definition.name}-`));
  const catalogue = loadCatalogue();
  const clock = createClock({ scale: options.timeScale ?? 1, origin: options.clockOrigin });
  const market =
    options.market === false
      ? undefined
      : options.marketThread
        ? await startDemoMarketThread(catalogue, { latencyScale: 0, ...(options.market ?? {}) })
        : await startDemoMarket(catalogue, { latencyScale: 0, now: () => clock.now().getTime(), ...(options.market ?? {}) });
  const log = await createEventLog({ kind: 'embedded', dir: join(dir, 'log') });
  await log.ensureTopics(TopicSpecs);
  const bus = new EventBus(log);
  const blobs = createBlobStore({ kind: 'fs', dir: join(dir, 'blobs') });
  const seen: SluiceEvent[] = [];
  const listeners = new Set<() => void>();
  const recorder: Subscription = await bus.subscribe({
    consumer: RECORDER,
    groupId: `harness-${randomUUID()}`,
    handle: async (events) => {
      seen.push(...events);
      listeners.forEach((l) => l());
    },
  });
  let running: RunningService | undefined;
  try {
    running = await definition.start({
      service: definition.name,
      instanceId: `${definition.name}-test`,
      startedAt: new Date(),
      bus,
      heartbeatIntervalMs: 60_000,
      database: { service: definition.name, mode: 'embedded', dataDir: dir },
      clock,
      catalogue,
      providerEndpoints: market
        ? Object.fromEntries(Object.entries(market.providers).map(([id, baseUrl]) => [id, { baseUrl, apiKey: market.apiKeys[id] }]))
        : {},
      http: options.http ? { host: '127.0.0.1', port: 0, adminKey: options.adminKey ?? TEST_ADMIN_KEY } : undefined,
      blobs,
    });
  } catch (err) {
    await recorder.stop();
    await log.close();
    await market?.stop();
    throw err;
  }
  const eventsOf = <T extends EventType>(type: T) => seen.filter((e): e is Extract<SluiceEvent, { type: T }> => e.type === type);
  return {
    bus,
    log,
    clock,
    catalogue,
    market,
    blobs,
    url: running.url,
    events: () => [...seen],
    eventsOf,
    waitFor: (type, predicate = () => true, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = eventsOf(type).find(predicate);
          if (!found) return;
          listeners.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no ${type} within ${timeoutMs} ms; saw ${seen.map((e) => e.type).join(', ') || 'nothing'}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      }),
    stop: async () => {
      await running?.stop();
      await recorder.stop();
      await log.close();
      await market?.stop();
      if (!options.dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
