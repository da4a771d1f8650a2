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
  readonly options: Omit<DemoMarketOptions, 'now' | 'onRequest'>;
  readonly clock?: ThreadClock;
  readonly state: MarketState;
}

export type MarketThreadMessage =
  | { kind: 'started'; providers: Record<string, string>; apiKeys: Record<string, string> }
  | { kind: 'failed'; message: string }
  | { kind: 'stopped' };

/** A worker thread's script, with the loader it needs when running the TypeScript sources. */
export interface MarketThreadScript {
  file: string;
  execArgv?: string[];
}

/** When running the TypeScript sources, the worker needs the same loader the caller has. */
function workerScript(): MarketThreadScript {
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
 * since a function cannot cross threads. If the thread ends on its own, `lost` settles and
 * stop() still returns.
 */
export async function startDemoMarketThread(
  catalogue: DemoMarketCatalogue,
  options: Omit<DemoMarketOptions, 'now' | 'onRequest'> = {},
  clock?: ThreadClock,
  /** demo-market.worker unless given (a spec runs a stand-in). */
  script: MarketThreadScript = workerScript(),
): Promise<DemoMarket> {
  const state = createMarketState(catalogue, options, true);
  const { file, execArgv } = script;
  const data: MarketThreadData = { catalogue, options, clock, state };
  const worker = new Worker(file, { workerData: data, execArgv });
  // Not events.once: that would reject on the 'error' that precedes the exit of a thread that threw.
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  const [first] = (await Promise.race([once(worker, 'message'), once(worker, 'error').then(([err]) => Promise.reject(err as Error))])) as [MarketThreadMessage];
  if (first.kind !== 'started') {
    await worker.terminate();
    throw new Error(`the demo market did not start: ${first.kind === 'failed' ? first.message : first.kind}`);
  }
  let stopping: Promise<void> | undefined;
  const lost = new Promise<Error>((resolve) => {
    let thrown: Error | undefined;
    worker.once('error', (err) => (thrown = err));
    void exited.then((code) => stopping === undefined && resolve(thrown ?? new Error(`the demo market thread exited (code ${code})`)));
  });
  return {
    providers: first.providers,
    apiKeys: first.apiKeys,
    ...marketControls(catalogue, state),
    lost,
    stop: () =>
      (stopping ??= (async () => {
        const stopped = once(worker, 'message');
        worker.postMessage('stop');
        await Promise.race([stopped, exited]);
        await worker.terminate();
      })()),
  };
}
