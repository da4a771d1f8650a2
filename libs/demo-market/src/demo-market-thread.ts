import { once } from 'node:events';
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { DemoMarket, DemoMarketCatalogue, DemoMarketOptions } from './demo-market.types';
import { createMarketState, marketControls, type MarketState } from './market-state';

/** A simulated clock the worker can rebuild: `originMs` (simulated) was the time at `realOriginMs`. */
export interface ThreadClock {
  readonly scale: number;
  readonly originMs: number;
  readonly realOriginMs: number;
}

export interface MarketThreadData {
  readonly catalogue: DemoMarketCatalogue;
  readonly options: Omit<DemoMarketOptions, 'now'>;
  readonly clock?: ThreadClock;
  readonly state: MarketState;
}

export type MarketThreadMessage =
  | { kind: 'started'; providers: Record<string, string>; apiKeys: Record<string, string> }
  | { kind: 'failed'; message: string }
  | { kind: 'stopped' };

/** When running the TypeScript sources, the worker needs the same loader the caller has. */
function workerScript(): { file: string; execArgv?: string[] } {
  const ext = extname(__filename);
  const file = join(__dirname, `demo-market.worker${ext}`);
  if (ext !== '.ts' || process.execArgv.some((arg) => arg.includes('register'))) return { file };
  return { file, execArgv: [...process.execArgv, '-r', join(__dirname, '..', '..', '..', 'tools', 'register.cjs')] };
}

/**
 * The demo market on a worker thread: the same servers and answers as startDemoMarket, but
 * the provider side's work (parsing, generating and tokenizing answers, HTTP) does not share
 * the caller's thread, as a remote provider's would not. stats(), setFailures() and
 * resetStats() stay synchronous (shared memory). The simulated clock is passed as figures,
 * since a function cannot cross threads.
 */
export async function startDemoMarketThread(
  catalogue: DemoMarketCatalogue,
  options: Omit<DemoMarketOptions, 'now'> = {},
  clock?: ThreadClock,
): Promise<DemoMarket> {
  const state = createMarketState(catalogue, options, true);
  const { file, execArgv } = workerScript();
  const data: MarketThreadData = { catalogue, options, clock, state };
  const worker = new Worker(file, { workerData: data, execArgv });
  const [first] = (await Promise.race([once(worker, 'message'), once(worker, 'error').then(([err]) => Promise.reject(err as Error))])) as [MarketThreadMessage];
  if (first.kind !== 'started') {
    await worker.terminate();
    throw new Error(`the demo market did not start: ${first.kind === 'failed' ? first.message : first.kind}`);
  }
  let stopping: Promise<void> | undefined;
  return {
    providers: first.providers,
    apiKeys: first.apiKeys,
    ...marketControls(catalogue, state),
    stop: () =>
      (stopping ??= (async () => {
        const stopped = once(worker, 'message');
        worker.postMessage('stop');
        await stopped;
        await worker.terminate();
      })()),
  };
}
