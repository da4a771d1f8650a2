import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { OverheadClientResults, OverheadClientSettings } from './overhead.client';

/** Runs the overhead client on a worker thread of its own (its HTTP work off the exchange's loop) and returns its samples. */
export function runOverheadClient(settings: OverheadClientSettings): Promise<OverheadClientResults> {
  const client = new Worker(join(__dirname, 'overhead.client.ts'), { workerData: settings });
  return new Promise<OverheadClientResults>((resolve, reject) => {
    client.once('message', (results: OverheadClientResults) => void client.terminate().then(() => resolve(results)));
    client.once('error', reject);
  });
}
