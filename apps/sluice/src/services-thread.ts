import { once } from 'node:events';
import { extname, join } from 'node:path';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { ThreadClock } from '@sluice/demo-market';
import type { ServiceName } from '@sluice/events';
import { serveEventLog, type EventLog, type ServeOptions } from '@sluice/eventlog';
import type { ProviderEndpoint } from '@sluice/platform';
import { addMetricsSource, logFormatFrom, logger, type LogFormat, type MetricsSource } from '@sluice/telemetry';
import type { EmbeddedConfig } from './config';

/** What the services thread is handed: plain data, and the port its event log runs over. */
export interface ServicesThreadData {
  config: EmbeddedConfig;
  services: ServiceName[];
  /** The main thread's clock as figures. */
  clock: ThreadClock;
  providerEndpoints: Record<string, ProviderEndpoint>;
  logPort: MessagePort;
  /** Answers `{ id }` with `{ id, metrics }`: the thread's metrics as prom-client JSON, for this thread's /metrics. */
  metricsPort: MessagePort;
  /** The main thread's log format: the services thread has no terminal of its own to look at. */
  logFormat: LogFormat;
}

export interface MetricsRequest {
  id: number;
}
export interface MetricsReply {
  id: number;
  metrics: Awaited<ReturnType<MetricsSource>>;
}

export type ServicesThreadMessage = { kind: 'started' } | { kind: 'failed'; message: string } | { kind: 'stopped' };

export interface ServicesThread {
  /**
   * Settles, with the reason, if the thread ends without being stopped (an uncaught error, out
   * of memory): its services are then gone from this process, which should stop and exit so
   * that whatever supervises it starts it again. Never rejects; stays pending after stop().
   */
  readonly lost: Promise<Error>;
  /** Stops the thread's services (in reverse order), then the thread. */
  stop(): Promise<void>;
}

export interface WorkerScript {
  file: string;
  execArgv?: string[];
}

export interface ServicesThreadOptions extends ServeOptions {
  /** The thread's script: services.worker unless given (a spec runs a stand-in). */
  script?: WorkerScript;
}

/** When running the TypeScript sources, the worker needs the same loader the caller has. */
function workerScript(): WorkerScript {
  const ext = extname(__filename);
  const file = join(__dirname, `services.worker${ext}`);
  if (ext !== '.ts' || process.execArgv.some((arg) => arg.includes('register'))) return { file };
  return { file, execArgv: [...process.execArgv, '-r', join(__dirname, '..', '..', '..', 'tools', 'register.cjs')] };
}

const threadLog = logger('services-thread');
/**
 * A scrape waits this long for the thread's metrics, then serves the last ones the thread sent:
 * a thread busy with a long transaction answers late, and its series should stay in the scrape
 * (a little stale), not vanish from it and come back.
 */
const METRICS_WAIT_MS = 2_000;

/** Asks the services thread for its metrics over its metrics port. */
export function threadMetrics(port: MessagePort, waitMs = METRICS_WAIT_MS): MetricsSource {
  let nextId = 0;
  let last: MetricsReply['metrics'] = [];
  const waiting = new Map<number, (metrics: MetricsReply['metrics']) => void>();
  port.on('message', (reply: MetricsReply) => {
    last = reply.metrics;
    waiting.get(reply.id)?.(reply.metrics);
    waiting.delete(reply.id);
  });
  // A port with a listener keeps the process alive; this one must not.
  port.unref();
  return () =>
    new Promise((resolve) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        resolve(last);
      }, waitMs);
      waiting.set(id, (metrics) => {
        clearTimeout(timer);
        resolve(metrics);
      });
      port.postMessage({ id } satisfies MetricsRequest);
    });
}

/**
 * Runs `services` on a worker thread of their own, on this thread's event log (served over a
 * message port) and on their own embedded databases. In one process every service otherwise
 * shares one thread: the work each completion sets off in billing, the scheduler, the router
 * and the files service (their PGlite statements above all) delayed the API's projection and
 * the GETs waiting on it. They talk to the API only through the log, as they would across
 * processes.
 */
export async function startServicesThread(
  log: EventLog,
  data: Omit<ServicesThreadData, 'logPort' | 'metricsPort' | 'logFormat'>,
  options: ServicesThreadOptions = {},
): Promise<ServicesThread> {
  const { port1, port2 } = new MessageChannel();
  const served = serveEventLog(log, port1, options);
  const metrics = new MessageChannel();
  const { file, execArgv } = options.script ?? workerScript();
  const worker = new Worker(file, {
    workerData: { ...data, logPort: port2, metricsPort: metrics.port2, logFormat: logFormatFrom(data.config as Record<string, string | undefined>) } satisfies ServicesThreadData,
    transferList: [port2, metrics.port2],
    execArgv,
  });
  const removeMetrics = addMetricsSource(threadMetrics(metrics.port1));
  // Not events.once: that would reject on the 'error' event that precedes the exit of a thread that threw.
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  const failed = once(worker, 'error').then(([err]) => Promise.reject(err as Error));
  try {
    const [first] = (await Promise.race([once(worker, 'message'), failed])) as [ServicesThreadMessage];
    if (first.kind !== 'started') throw new Error(`the services thread did not start: ${first.kind === 'failed' ? first.message : first.kind}`);
  } catch (err) {
    removeMetrics();
    metrics.port1.close();
    await worker.terminate();
    await served.close();
    throw err;
  }
  let stopping: Promise<void> | undefined;
  const lost = new Promise<Error>((resolve) => {
    let thrown: Error | undefined;
    worker.once('error', (err) => {
      threadLog.error({ err }, 'the services thread failed');
      thrown = err;
    });
    void exited.then((code) => stopping === undefined && resolve(thrown ?? new Error(`the services thread exited (code ${code})`)));
  });
  return {
    lost,
    stop: () =>
      (stopping ??= (async () => {
        const stopped = once(worker, 'message');
        worker.postMessage('stop');
        await Promise.race([stopped, exited]);
        removeMetrics();
        metrics.port1.close();
        await worker.terminate();
        await served.close();
      })()),
  };
}
