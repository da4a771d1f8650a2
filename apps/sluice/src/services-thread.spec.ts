import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createEventLog, type EventLog } from '@sluice/eventlog';
import { captureLogs } from '@sluice/telemetry';
import type { EmbeddedConfig } from './config';
import { MessageChannel } from 'node:worker_threads';
import { startServicesThread, threadMetrics, type MetricsReply, type MetricsRequest, type ServicesThread } from './services-thread';

// Stand-ins for services.worker that speak its protocol: they start, then stop when asked, or end on their own.
// They end only once the test has seen them start (the file `go` exists): the thread's messages and its
// error come over different ports, so an ending right after 'started' could overtake it.
const STAND_INS = {
  stoppable: '',
  throws: "whenGo(() => { throw new Error('boom in a service'); });",
  exits: 'whenGo(() => process.exit(3));',
};
const standIn = (ending: string) => `
const { parentPort } = require('node:worker_threads');
const { existsSync } = require('node:fs');
const whenGo = (end) => { const poll = setInterval(() => { if (existsSync(require('node:path').join(__dirname, 'go'))) { clearInterval(poll); end(); } }, 5); };
parentPort.once('message', () => parentPort.postMessage({ kind: 'stopped' }));
parentPort.postMessage({ kind: 'started' });
${ending}
`;

describe('the services thread', () => {
  let dir: string;
  let log: EventLog;
  let thread: ServicesThread | undefined;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-services-thread-'));
    for (const [name, ending] of Object.entries(STAND_INS)) writeFileSync(join(dir, `${name}.js`), standIn(ending));
    log = await createEventLog({ kind: 'embedded', dir: join(dir, 'log') });
  });
  afterEach(async () => {
    await thread?.stop();
    thread = undefined;
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = (standInName: keyof typeof STAND_INS) =>
    startServicesThread(
      log,
      { config: {} as EmbeddedConfig, services: [], clock: { scale: 1, originMs: 0, realOriginMs: 0 }, providerEndpoints: {} },
      { script: { file: join(dir, `${standInName}.js`), execArgv: [] } },
    );
  const settledWithin = async <T>(promise: Promise<T>, ms: number) => {
    const timeout = new AbortController();
    try {
      return await Promise.race([promise, sleep(ms, 'still pending' as const, { signal: timeout.signal })]);
    } finally {
      timeout.abort();
    }
  };

  const go = () => writeFileSync(join(dir, 'go'), '');

  it('is lost, with the error, when it throws after starting', async () => {
    const logs = captureLogs();
    thread = await start('throws');
    go();
    const reason = await settledWithin(thread.lost, 5_000);
    expect((reason as Error).message).toBe('boom in a service');
    logs.restore();
    expect(logs.lines()).toEqual([expect.objectContaining({ level: 'error', msg: 'the services thread failed', err: expect.objectContaining({ message: 'boom in a service' }) })]);
    await expect(settledWithin(thread.stop(), 5_000)).resolves.toBeUndefined();
  });

  it('is lost when it exits on its own, and can still be stopped', async () => {
    thread = await start('exits');
    go();
    const reason = await settledWithin(thread.lost, 5_000);
    expect((reason as Error).message).toBe('the services thread exited (code 3)');
    await expect(settledWithin(thread.stop(), 5_000)).resolves.toBeUndefined();
  });

  it('is not lost when it is stopped', async () => {
    thread = await start('stoppable');
    await thread.stop();
    await expect(settledWithin(thread.lost, 300)).resolves.toBe('still pending');
  });
});

describe("the services thread's metrics in a scrape", () => {
  it('are the last ones it sent while it is too busy to answer in time, not none', async () => {
    const { port1, port2 } = new MessageChannel();
    const metric = (value: number) => [{ name: 'sluice_billing_decisions_total', help: 'h', type: 'counter', aggregator: 'sum', values: [{ value, labels: { kind: 'charged' } }] }];
    // The thread's side: answers at once, then only after a second (a long transaction).
    let answered = 0;
    port2.on('message', ({ id }: MetricsRequest) => {
      answered += 1;
      const reply = { id, metrics: metric(answered * 100) } as unknown as MetricsReply;
      if (answered === 1) port2.postMessage(reply);
      else setTimeout(() => port2.postMessage(reply), 1_000);
    });
    const scrape = threadMetrics(port1, 200);
    try {
      expect(await scrape()).toEqual(metric(100));
      expect(await scrape()).toEqual(metric(100));
      await sleep(1_000);
      // Its late answer is kept for the next scrape that waits in vain.
      expect(await scrape()).toEqual(metric(200));
    } finally {
      port1.close();
      port2.close();
    }
  });
});
