/**
 * The services thread (started by startServicesThread): billing, the scheduler, the router
 * and the files service on the main thread's event log, reached over the port it handed over.
 */
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { createBlobStore } from '@sluice/blobstore';
import { EventBus, PortEventLog } from '@sluice/eventlog';
import { createClock, loadCatalogueOrFail } from '@sluice/platform';
import { collectProcessMetrics, configureLogging, logger, metricsEnabled, metricsRegistry, startTelemetry } from '@sluice/telemetry';
import { startServices, stopServices } from './hosted-services';
import type { MetricsReply, MetricsRequest, ServicesThreadData, ServicesThreadMessage } from './services-thread';

const data = workerData as ServicesThreadData;
if (!parentPort) throw new Error('services.worker runs as a worker thread');
const port = parentPort;
const send = (message: ServicesThreadMessage) => port.postMessage(message);
// `services`: four services share this thread; lines of code only one of them runs name it.
configureLogging({ level: data.config.LOG_LEVEL as string | undefined, format: data.logFormat, service: 'services' });
const threadLog = logger('services-thread');

/** This thread's metrics for the main thread's /metrics, told apart by `thread`; RSS and CPU are the process's, reported there. */
function serveMetrics(): void {
  metricsRegistry.setDefaultLabels({ thread: 'services' });
  if (metricsEnabled(data.config as Record<string, string | undefined>)) collectProcessMetrics();
  data.metricsPort.on('message', ({ id }: MetricsRequest) => {
    void metricsRegistry.getMetricsAsJSON().then(
      (all) => data.metricsPort.postMessage({ id, metrics: all.filter((metric) => !metric.name.startsWith('process_')) } satisfies MetricsReply),
      () => data.metricsPort.postMessage({ id, metrics: [] } satisfies MetricsReply),
    );
  });
  data.metricsPort.unref();
}

async function main(): Promise<void> {
  // This thread's spans go to the same OTLP endpoint when one is set (traces cross threads in event headers).
  const telemetry = startTelemetry({ serviceName: 'sluice' });
  serveMetrics();
  const log = new PortEventLog(data.logPort);
  const blobs = createBlobStore({ kind: 'fs', dir: join(data.config.SLUICE_DATA_DIR, 'blobs') });
  const { clock } = data;
  const closeAll = async () => {
    await log.close();
    await blobs.close();
    await telemetry?.shutdown();
  };
  let running;
  try {
    running = await startServices(data.services, {
      config: data.config,
      bus: new EventBus(log),
      clock: createClock({ scale: clock.scale, origin: new Date(clock.originMs), realOrigin: clock.realOriginMs }),
      catalogue: loadCatalogueOrFail(data.config.SLUICE_CATALOGUE),
      providerEndpoints: data.providerEndpoints,
      blobs,
      database: (service) => ({ service, mode: 'embedded', dataDir: data.config.SLUICE_DATA_DIR }),
    });
  } catch (err) {
    await closeAll();
    throw err;
  }
  port.once('message', () => {
    void stopServices(running)
      .then(closeAll)
      .catch((err: Error) => threadLog.error({ err }, 'stopping the services thread failed'))
      .then(() => send({ kind: 'stopped' }));
  });
  send({ kind: 'started' });
}

main().catch((err: Error) => send({ kind: 'failed', message: err.stack ?? err.message }));
