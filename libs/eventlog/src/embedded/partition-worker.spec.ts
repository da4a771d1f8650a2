import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordBatch } from '../event-log.port';
import type { OffsetsStore } from './offsets-store';
import { PartitionFile } from './partition-file';
import { PartitionWorker } from './partition-worker';

/** An offsets store whose commits resolve (or fail) only when the test says so. */
function heldOffsets() {
  const commits: { offset: number; settle: (err?: Error) => void }[] = [];
  const store = {
    get: () => null,
    commit: (_group: string, _tp: unknown, offset: number) =>
      new Promise<void>((resolve, reject) => commits.push({ offset, settle: (err) => (err ? reject(err) : resolve()) })),
  };
  return { store: store as unknown as OffsetsStore, commits };
}

describe('PartitionWorker (offset commits pipelined with delivery)', () => {
  let dir: string;
  let file: PartitionFile;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-partition-worker-'));
    file = PartitionFile.open(join(dir, 'p0.log'), 'objects', 0);
  });
  afterEach(async () => {
    await file.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = (offsets: OffsetsStore, handleBatch: (batch: RecordBatch) => Promise<void>, onError = jest.fn()) => {
    const worker = new PartitionWorker({ groupId: 'g', partition: file, offsets, publishDeadLetter: async () => undefined, onHandlerError: jest.fn(), onError });
    worker.start({ fromBeginning: true, maxBatchSize: 1, deadLetterTopic: 'dlq', handleBatch });
    return worker;
  };
  const record = (key: string) => ({ key, value: Buffer.from(key), headers: {} });
  const until = async (check: () => boolean) => {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  };

  it('delivers the next batch while the previous commit is still syncing, and stops only once the last commit is durable', async () => {
    const { store, commits } = heldOffsets();
    const delivered: string[] = [];
    await file.append([record('a'), record('b')], Date.now());
    const worker = start(store, async (batch) => void delivered.push(...batch.records.map((r) => r.key ?? '')));
    await until(() => commits.length === 1);
    commits[0].settle(); // the pinned start
    await until(() => delivered.length === 2);
    expect(delivered).toEqual(['a', 'b']);
    expect(commits.map((c) => c.offset)).toEqual([0, 1, 2]); // one per batch, neither settled yet

    let stopped = false;
    const stopping = worker.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stopped).toBe(false);
    commits.slice(1).forEach((c) => c.settle());
    await stopping;
    expect(stopped).toBe(true);
  });

  it('ends the worker and reports the error when a commit fails', async () => {
    const { store, commits } = heldOffsets();
    const onError = jest.fn();
    const delivered: string[] = [];
    const worker = start(store, async (batch) => void delivered.push(...batch.records.map((r) => r.key ?? '')), onError);
    await until(() => commits.length === 1);
    commits[0].settle(); // the pinned start
    await file.append([record('a')], Date.now());
    await until(() => commits.length === 2);
    commits[1].settle(new Error('disk full'));
    await until(() => onError.mock.calls.length > 0);
    expect(onError.mock.calls[0][0]).toEqual(new Error('disk full'));
    await file.append([record('b')], Date.now());
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(delivered).toEqual(['a']);
    await worker.stop();
  });

  it('lets the event loop turn while it works through a backlog (timers, sockets and fsyncs are not starved)', async () => {
    await file.append(Array.from({ length: 300 }, (_, i) => record(`r${i}`)), Date.now());
    const offsets = { get: () => null, commit: async () => undefined } as unknown as OffsetsStore;
    let delivered = 0;
    let deliveredWhenTimerRan = -1;
    setTimeout(() => (deliveredWhenTimerRan = delivered), 0);
    // Like a handler on an embedded database: ~1 ms of work per batch, no I/O.
    const worker = start(offsets, async () => {
      const end = performance.now() + 1;
      while (performance.now() < end);
      delivered += 1;
    });
    await until(() => delivered === 300);
    await worker.stop();
    expect(delivered).toBe(300);
    expect(deliveredWhenTimerRan).toBeGreaterThanOrEqual(0);
    expect(deliveredWhenTimerRan).toBeLessThan(100);
  });
});
