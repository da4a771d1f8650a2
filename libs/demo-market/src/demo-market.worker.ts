/**
 * The demo market on its own worker thread (started by startDemoMarketThread): the servers
 * run here, the counters and failure rates live in the shared memory it was handed.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startDemoMarket } from './demo-market';
import type { MarketThreadData, MarketThreadMessage } from './demo-market-thread';

const data = workerData as MarketThreadData;
const port = parentPort;
if (!port) throw new Error('demo-market.worker runs as a worker thread');
const { clock } = data;
const now = clock ? () => clock.originMs + (Date.now() - clock.realOriginMs) * clock.scale : Date.now;

startDemoMarket(data.catalogue, { ...data.options, now }, data.state).then(
  (market) => {
    port.once('message', () => {
      void market.stop().then(() => port.postMessage({ kind: 'stopped' } satisfies MarketThreadMessage));
    });
    port.postMessage({ kind: 'started', providers: market.providers, apiKeys: market.apiKeys } satisfies MarketThreadMessage);
  },
  (err: Error) => port.postMessage({ kind: 'failed', message: err.message } satisfies MarketThreadMessage),
);
