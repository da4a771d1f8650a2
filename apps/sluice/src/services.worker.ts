/**
 * The services thread (started by startServicesThread): billing, the scheduler, the router
 * and the files service on the main thread's event log, reached over the port it handed over.
 */
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { createBlobStore } from '@sluice/blobstore';
import { EventBus, PortEventLog } from '@sluice/eventlog';
import { createClock, loadCatalogueOrFail } from '@sluice/platform';
import { startTelemetry } from '@sluice/telemetry';
import { startServices, stopServices } from './hosted-services';
import type { ServicesThreadData, ServicesThreadMessage } from './services-thread';

const data = workerData as ServicesThreadData;
if (!parentPort) throw new Error('services.worker runs as a worker thread');
const port = parentPort;
const send = (message: ServicesThreadMessage) => port.postMessage(message);

async function main(): Promise<void> {
  // This thread's spans go to the same OTLP endpoint when one is set (traces cross threads in event headers).
  const telemetry = startTelemetry({ serviceName: 'sluice' });
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
      .catch((err: Error) => console.error(`[sluice] stopping the services thread failed: ${err.stack ?? err.message}`))
      .then(() => send({ kind: 'stopped' }));
  });
  send({ kind: 'started' });
}

main().catch((err: Error) => send({ kind: 'failed', message: err.stack ?? err.message }));
