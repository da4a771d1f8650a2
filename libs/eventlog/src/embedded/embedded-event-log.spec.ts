import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnTsChild, waitFor } from '../contract/contract-helpers';
import type { LogRecord } from '../event-log.port';
import { EmbeddedEventLog } from './embedded-event-log';
import { EventLogLockedError, UnknownTopicError } from './errors';
import { encodeFrame } from './frame';

let dir: string;
let logs: EmbeddedEventLog[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-embedded-'));
  logs = [];
});
afterEach(async () => {
  for (const log of logs) await log.close();
  rmSync(dir, { recursive: true, force: true });
});

async function open(): Promise<EmbeddedEventLog> {
  const log = await EmbeddedEventLog.open({ dir });
  logs.push(log);
  return log;
}

async function readAll(log: EmbeddedEventLog, topic: string, partitions: number): Promise<LogRecord[]> {
  const records: LogRecord[] = [];
  let expected = 0;
  for (let partition = 0; partition < partitions; partition++) expected += await log.endOffset({ topic, partition });
  const sub = await log.subscribe({
    groupId: `read-${Math.random()}`,
    topics: [topic],
    deadLetterTopic: `${topic}.dlq`,
    handleBatch: async (batch) => void records.push(...batch.records),
  });
  await waitFor(() => records.length >= expected, `${expected} records`, 10_000);
  await sub.stop();
  return records;
}

const partitionFile = (topic: string, partition: number) => join(dir, 'topics', topic, `${partition}.log`);

describe('EmbeddedEventLog on disk', () => {
  it.each([
    ['a partial frame', () => encodeFrame(Buffer.alloc(300, 1)).subarray(0, 120)],
    ['a frame with a bad checksum', () => Buffer.from(encodeFrame(Buffer.alloc(300, 1)).fill(7, 20, 30))],
    ['a few stray bytes', () => Buffer.from([1, 2, 3])],
  ])('cuts a torn tail (%s) on open, keeps every earlier record and appends after them', async (_, garbage) => {
    let log = await open();
    await log.ensureTopics([{ name: 'orders', partitions: 1, retentionMs: null }]);
    await log.publish('orders', Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: Buffer.from(`v${i}`) })));
    await log.close();
    const intactBytes = statSync(partitionFile('orders', 0)).size;
    appendFileSync(partitionFile('orders', 0), garbage());

    log = await open();
    expect(statSync(partitionFile('orders', 0)).size).toBe(intactBytes);
    expect(await log.endOffset({ topic: 'orders', partition: 0 })).toBe(10);
    await log.publish('orders', [{ key: 'after', value: Buffer.from('after') }]);
    await log.close();

    log = await open();
    const records = await readAll(log, 'orders', 1);
    expect(records.map((r) => [r.offset, r.value.toString()])).toEqual([
      ...Array.from({ length: 10 }, (_, i) => [i, `v${i}`]),
      [10, 'after'],
    ]);
  });

  it('keeps committed offsets when the offsets file has a torn tail', async () => {
    let log = await open();
    await log.ensureTopics([{ name: 'orders', partitions: 1, retentionMs: null }]);
    await log.publish('orders', Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: Buffer.from(`v${i}`) })));
    const handled: number[] = [];
    const sub = await log.subscribe({
      groupId: 'billing',
      topics: ['orders'],
      deadLetterTopic: 'orders.dlq',
      handleBatch: async (batch) => void handled.push(...batch.records.map((r) => r.offset)),
    });
    await waitFor(async () => (await log.committedOffset('billing', { topic: 'orders', partition: 0 })) === 5, 'the commit');
    await sub.stop();
    await log.close();
    appendFileSync(join(dir, 'offsets.log'), encodeFrame(Buffer.from('{"g":"billing","t":"orders","p":0,"o":0}')).subarray(0, 20));

    log = await open();
    expect(await log.committedOffset('billing', { topic: 'orders', partition: 0 })).toBe(5);
  });

  it('a partition whose tail was lost while stopped: every group reads the next record, and the repair is reported', async () => {
    let log = await open();
    await log.ensureTopics([{ name: 'orders', partitions: 1, retentionMs: null }]);
    await log.publish('orders', Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: Buffer.from(`v${i}`) })));
    for (const groupId of ['billing', 'scheduler']) {
      const sub = await log.subscribe({ groupId, topics: ['orders'], deadLetterTopic: 'orders.dlq', handleBatch: async () => undefined });
      await waitFor(async () => (await log.committedOffset(groupId, { topic: 'orders', partition: 0 })) === 5, `${groupId}'s commit`);
      await sub.stop();
    }
    await log.close();
    truncateSync(partitionFile('orders', 0), statSync(partitionFile('orders', 0)).size - 3);

    const repairs: string[] = [];
    log = await EmbeddedEventLog.open({ dir, onRepair: (message) => repairs.push(message) });
    logs.push(log);
    expect(await log.endOffset({ topic: 'orders', partition: 0 })).toBe(4);
    await log.publish('orders', [{ key: 'new', value: Buffer.from('after the loss') }]);
    for (const groupId of ['billing', 'scheduler']) {
      const seen: string[] = [];
      const sub = await log.subscribe({ groupId, topics: ['orders'], deadLetterTopic: 'orders.dlq', handleBatch: async (batch) => void seen.push(...batch.records.map((r) => r.value.toString())) });
      await waitFor(() => seen.length > 0, `${groupId} to read the new record`);
      await sub.stop();
      expect(seen).toEqual(['after the loss']);
    }
    expect(repairs).toEqual([expect.stringMatching(/^orders\/0 ends at offset 4 but group billing had committed 5: .*lost 1 record.*moved the group's offset back to 4/), expect.stringContaining('group scheduler')]);
    await log.close();
    // The repair is durable: reopened, nothing is reported again.
    repairs.length = 0;
    logs.push(await EmbeddedEventLog.open({ dir, onRepair: (message) => repairs.push(message) }));
    expect(repairs).toEqual([]);
  });

  it('compacts the offsets file on open and keeps the latest offset of each group', async () => {
    let log = await open();
    await log.ensureTopics([{ name: 'orders', partitions: 1, retentionMs: null }]);
    const sub = await log.subscribe({ groupId: 'g', topics: ['orders'], deadLetterTopic: 'orders.dlq', maxBatchSize: 1, handleBatch: async () => undefined });
    for (let i = 0; i < 50; i++) await log.publish('orders', [{ key: 'k', value: Buffer.from(String(i)) }]);
    await waitFor(async () => (await log.committedOffset('g', { topic: 'orders', partition: 0 })) === 50, 'the commits');
    await sub.stop();
    await log.close();
    const grown = statSync(join(dir, 'offsets.log')).size;

    log = await open();
    expect(statSync(join(dir, 'offsets.log')).size).toBeLessThan(grown / 10);
    expect(await log.committedOffset('g', { topic: 'orders', partition: 0 })).toBe(50);
  });

  it('loses no acknowledged record when the publishing process is SIGKILLed', async () => {
    const child = spawnTsChild(resolve(__dirname, 'children/publish-until-killed.child.ts'), { kind: 'embedded', dir }, [dir, 'stream']);
    try {
      await child.marker('acked', 30_000);
      await waitFor(() => child.lines.length >= 20, 'twenty acknowledged publishes', 30_000);
    } finally {
      await child.kill();
    }
    const acked = Math.max(...child.lines.map((l) => (l as { acked: number }).acked));

    const log = await open();
    const records = await readAll(log, 'stream', 2);
    const numbers = records.map((r) => Number(r.headers.n)).sort((a, b) => a - b);
    expect(numbers.length).toBeGreaterThanOrEqual(acked);
    expect(numbers.slice(0, acked)).toEqual(Array.from({ length: acked }, (_, i) => i));
    expect(new Set(numbers).size).toBe(numbers.length);
    for (const record of records) expect(record.value.length).toBe(512);
  });

  it('refuses a second open of the same directory while the first is open, and allows it after close', async () => {
    const first = await open();
    await expect(EmbeddedEventLog.open({ dir })).rejects.toBeInstanceOf(EventLogLockedError);
    await first.close();
    const second = await open();
    expect(await second.health()).toMatchObject({ ok: true });
  });

  it('takes over a lock left by a process that no longer runs', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid as number;
    writeFileSync(join(dir, 'LOCK'), String(dead));
    const log = await open();
    expect(await log.health()).toMatchObject({ ok: true });
  });

  it('rejects publishing to a topic that was never created', async () => {
    const log = await open();
    await expect(log.publish('nowhere', [{ key: 'k', value: Buffer.from('v') }])).rejects.toBeInstanceOf(UnknownTopicError);
  });

  it('creates the dead-letter topic with one partition when a subscriber names a missing one', async () => {
    const log = await open();
    await log.ensureTopics([{ name: 'orders', partitions: 2, retentionMs: null }]);
    await log.subscribe({ groupId: 'g', topics: ['orders'], deadLetterTopic: 'orders.dead', handleBatch: async () => undefined });
    expect(readdirSync(join(dir, 'topics', 'orders.dead')).sort()).toEqual(['0.log', 'topic.json']);
    await expect(log.endOffset({ topic: 'orders.dead', partition: 0 })).resolves.toBe(0);
  });

  it('reports unhealthy once closed and rejects further use', async () => {
    const log = await open();
    await log.close();
    expect(await log.health()).toMatchObject({ ok: false });
    await expect(log.ensureTopics([{ name: 'late', partitions: 1, retentionMs: null }])).rejects.toThrow('closed');
  });

  it('does not count a record whose frame is intact but out of sequence', async () => {
    let log = await open();
    await log.ensureTopics([{ name: 'orders', partitions: 1, retentionMs: null }]);
    await log.publish('orders', Array.from({ length: 3 }, (_, i) => ({ key: `k${i}`, value: Buffer.from(`v${i}`) })));
    await log.close();
    const file = partitionFile('orders', 0);
    const size = statSync(file).size;
    // Duplicate the first record's frame at the end: its CRC is fine but its offset is 0, not 3.
    const firstFrameBytes = size / 3;
    appendFileSync(file, readFileSync(file).subarray(0, firstFrameBytes));
    log = await open();
    expect(await log.endOffset({ topic: 'orders', partition: 0 })).toBe(3);
    expect(statSync(file).size).toBe(size);
  });
});
