import { resolve } from 'node:path';
import type { EventLogConfig } from '../create-event-log';
import { DeadLetterHeaders, type EventLog, type LogRecord, type RecordBatch, type Subscription } from '../event-log.port';
import { partitionFor } from '../partitioner';
import { collector, recordId, sleep, spawnTsChild, uniqueName, waitFor } from './contract-helpers';

export interface EventLogHarness {
  /** A connected log; the suite closes it. Called again after a close to get a second instance. */
  create(): Promise<EventLog>;
  /** How a child process reaches the same log. */
  config(): EventLogConfig;
}

const CRASH_CHILD = resolve(__dirname, 'children/crash-mid-batch.child.ts');

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const parse = <T>(record: LogRecord) => JSON.parse(record.value.toString('utf8')) as T;

/**
 * The behaviour every EventLog adapter must show, as a user of the port would notice it.
 * Run it from each adapter's spec: `describeEventLogContract('embedded', harness)`.
 */
export function describeEventLogContract(name: string, harness: EventLogHarness): void {
  describe(`EventLog contract: ${name}`, () => {
    // Kafka rebalances and session timeouts take seconds.
    jest.setTimeout(180_000);

    let open: EventLog[] = [];
    const create = async () => {
      const log = await harness.create();
      open.push(log);
      return log;
    };
    const close = async (log: EventLog) => {
      open = open.filter((l) => l !== log);
      await log.close();
    };
    afterEach(async () => {
      const logs = open.reverse();
      open = [];
      for (const log of logs) await log.close();
    });

    async function topicWith(log: EventLog, partitions: number) {
      const topic = uniqueName('contract');
      const deadLetterTopic = `${topic}.dlq`;
      await log.ensureTopics([
        { name: topic, partitions, retentionMs: null },
        { name: deadLetterTopic, partitions: 1, retentionMs: null },
      ]);
      return { topic, deadLetterTopic };
    }

    it('keeps the order of each key across many keys and partitions', async () => {
      const log = await create();
      const { topic, deadLetterTopic } = await topicWith(log, 4);
      const keys = 50;
      const total = 2_000;
      for (let from = 0; from < total; from += 100) {
        const chunk = Array.from({ length: 100 }, (_, j) => {
          const i = from + j;
          return { key: `key-${i % keys}`, value: json({ seq: Math.floor(i / keys) }) };
        });
        await log.publish(topic, chunk);
      }
      const seen = collector();
      await log.subscribe({ groupId: uniqueName('order'), topics: [topic], deadLetterTopic, maxBatchSize: 64, handleBatch: seen.handleBatch });
      await waitFor(() => seen.records.length >= total, `${total} records`);

      const seqsByKey = new Map<string, number[]>();
      for (const record of seen.records) {
        expect(record.partition).toBe(partitionFor(record.key, 4));
        seqsByKey.set(record.key, [...(seqsByKey.get(record.key) ?? []), parse<{ seq: number }>(record).seq]);
      }
      expect(seqsByKey.size).toBe(keys);
      for (const seqs of seqsByKey.values()) expect(seqs).toEqual(Array.from({ length: total / keys }, (_, n) => n));
      expect(new Set(seen.records.map((r) => r.partition)).size).toBe(4);
    });

    it('hands a topic given its own batch size batches of that size, the others the default', async () => {
      const log = await create();
      const small = await topicWith(log, 1);
      const large = await topicWith(log, 1);
      for (const { topic } of [small, large]) await log.publish(topic, Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, value: json({ i }) })));
      const sizes = new Map<string, number[]>();
      const seen = collector(async (batch) => void sizes.set(batch.topic, [...(sizes.get(batch.topic) ?? []), batch.records.length]));
      await log.subscribe({
        groupId: uniqueName('sizes'),
        topics: [small.topic, large.topic],
        deadLetterTopic: small.deadLetterTopic,
        maxBatchSize: 5,
        maxBatchSizeByTopic: { [large.topic]: 50 },
        handleBatch: seen.handleBatch,
      });
      await waitFor(() => seen.records.length >= 400, '400 records');
      expect(Math.max(...(sizes.get(small.topic) ?? []))).toBe(5);
      expect(Math.max(...(sizes.get(large.topic) ?? []))).toBe(50);
    });

    it('redelivers a batch whose consumer crashed before committing it, and only that', async () => {
      let log = await create();
      const { topic, deadLetterTopic } = await topicWith(log, 1);
      const groupId = uniqueName('crash');
      await log.publish(topic, Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: json({ i }) })));
      // The embedded log allows one process per directory; Kafka does not mind either way.
      await close(log);

      const child = spawnTsChild(CRASH_CHILD, harness.config(), [topic, groupId, deadLetterTopic, '10']);
      let hanging: { committedUpTo: number; hungOffsets: number[] };
      try {
        hanging = await child.marker('hanging');
      } finally {
        await child.kill();
      }
      expect(hanging.committedUpTo).toBeGreaterThan(0);
      expect(hanging.hungOffsets[0]).toBe(hanging.committedUpTo);

      log = await create();
      const seen = collector();
      await log.subscribe({ groupId, topics: [topic], deadLetterTopic, handleBatch: seen.handleBatch });
      await waitFor(() => seen.records.some((r) => r.offset === 29), 'the rest of the partition');
      const offsets = seen.records.map((r) => r.offset);
      expect(offsets[0]).toBe(hanging.committedUpTo);
      expect(offsets).toEqual(expect.arrayContaining(hanging.hungOffsets));
      expect(offsets.filter((o) => o < hanging.committedUpTo)).toEqual([]);
    });

    it('splits partitions between members, never handles one partition twice at once, and hands over on stop', async () => {
      const log = await create();
      const { topic, deadLetterTopic } = await topicWith(log, 4);
      const groupId = uniqueName('members');
      const busy = new Set<number>();
      const overlaps: number[] = [];
      const slowly = async (batch: RecordBatch) => {
        if (busy.has(batch.partition)) overlaps.push(batch.partition);
        busy.add(batch.partition);
        // Long enough that a rebalance which did not wait for it would overlap.
        await sleep(15);
        busy.delete(batch.partition);
      };
      let next = 0;
      const publish = async (count: number) => {
        const records = Array.from({ length: count }, () => ({ key: `key-${next % 40}`, value: json({ id: next++ }) }));
        await log.publish(topic, records);
        return records.map((r) => parse<{ id: number }>({ value: r.value } as LogRecord).id);
      };
      const idsOf = (records: LogRecord[]) => records.map((r) => parse<{ id: number }>(r).id);
      const partitionsOf = (s: Subscription) => s.assignments().map((tp) => tp.partition).sort();

      const backlog = await publish(200);
      const a = collector(slowly);
      const memberA = await log.subscribe({ groupId, topics: [topic], deadLetterTopic, maxBatchSize: 10, handleBatch: a.handleBatch });
      await waitFor(() => a.records.length >= 20, 'member A to start on the backlog');
      const b = collector(slowly);
      const memberB = await log.subscribe({ groupId, topics: [topic], deadLetterTopic, maxBatchSize: 10, handleBatch: b.handleBatch });
      await waitFor(() => partitionsOf(memberA).length > 0 && partitionsOf(memberB).length > 0, 'both members to get partitions');
      await waitFor(() => new Set(idsOf([...a.records, ...b.records])).size === backlog.length, 'the backlog');

      expect([...partitionsOf(memberA), ...partitionsOf(memberB)].sort()).toEqual([0, 1, 2, 3]);
      const live = await publish(400);
      await waitFor(() => idsOf([...a.records, ...b.records]).filter((id) => id >= live[0]).length >= live.length, 'the live records');
      await sleep(200);
      const liveRecords = [...a.records, ...b.records].filter((r) => parse<{ id: number }>(r).id >= live[0]);
      expect(liveRecords.map(recordId).sort()).toEqual([...new Set(liveRecords.map(recordId))].sort());
      expect(idsOf(liveRecords).sort((x, y) => x - y)).toEqual(live);
      for (const record of a.records.filter((r) => parse<{ id: number }>(r).id >= live[0])) {
        expect(partitionsOf(memberA)).toContain(record.partition);
      }

      await memberA.stop();
      await waitFor(() => partitionsOf(memberB).length === 4, 'member B to take over all partitions');
      const handedOver = await publish(200);
      const aBefore = a.records.length;
      await waitFor(() => idsOf(b.records).filter((id) => id >= handedOver[0]).length >= handedOver.length, 'records after the hand-over');
      await sleep(200);
      expect(a.records.length).toBe(aBefore);
      expect(idsOf(b.records).filter((id) => id >= handedOver[0])).toHaveLength(handedOver.length);
      expect(overlaps).toEqual([]);
      await memberB.stop();
    });

    it('rebuilds the live state when a new group replays from the beginning', async () => {
      const log = await create();
      const { topic, deadLetterTopic } = await topicWith(log, 3);
      type Delta = { account: string; amount: number };
      const fold = () => {
        const balances = new Map<string, number>();
        let count = 0;
        return {
          balances,
          count: () => count,
          handleBatch: async (batch: RecordBatch) => {
            for (const record of batch.records) {
              const { account, amount } = parse<Delta>(record);
              balances.set(account, (balances.get(account) ?? 0) + amount);
              count++;
            }
          },
        };
      };
      const live = fold();
      await log.subscribe({ groupId: uniqueName('live'), topics: [topic], deadLetterTopic, handleBatch: live.handleBatch });
      let seed = 7;
      const amount = () => (seed = (seed * 48271) % 2147483647) % 1_000;
      for (let round = 0; round < 6; round++) {
        const deltas: Delta[] = Array.from({ length: 100 }, (_, i) => ({ account: `acct-${(round * 7 + i) % 30}`, amount: amount() - 500 }));
        await log.publish(topic, deltas.map((d) => ({ key: d.account, value: json(d) })));
      }
      await waitFor(() => live.count() === 600, 'the live fold');

      const replay = fold();
      await log.subscribe({ groupId: uniqueName('replay'), topics: [topic], deadLetterTopic, fromBeginning: true, handleBatch: replay.handleBatch });
      await waitFor(() => replay.count() === 600, 'the replay');
      expect(replay.balances).toEqual(live.balances);
      expect(live.balances.size).toBe(30);
    });

    it('starts a new group at the end when it does not ask for the beginning', async () => {
      const log = await create();
      const { topic, deadLetterTopic } = await topicWith(log, 2);
      await log.publish(topic, Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: json({ phase: 'old', i }) })));
      const seen = collector();
      await log.subscribe({ groupId: uniqueName('tail'), topics: [topic], deadLetterTopic, fromBeginning: false, handleBatch: seen.handleBatch });
      // Kafka resolves "latest" lazily after the join, so probe until the group is reading.
      let probe = 0;
      while (seen.records.length === 0) {
        await log.publish(topic, [{ key: `probe-${probe++}`, value: json({ phase: 'probe' }) }]);
        await sleep(200);
      }
      const fresh = Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: json({ phase: 'new', i }) }));
      await log.publish(topic, fresh);
      await waitFor(() => seen.records.filter((r) => parse<{ phase: string }>(r).phase === 'new').length === 50, 'the new records');
      expect(seen.records.filter((r) => parse<{ phase: string }>(r).phase === 'old')).toEqual([]);
    });

    it('sends a poison record to the dead-letter topic after bounded retries and handles the records after it', async () => {
      const log = await create();
      const { topic, deadLetterTopic } = await topicWith(log, 1);
      const groupId = uniqueName('poison');
      const handled: string[] = [];
      let poisonAttempts = 0;
      await log.subscribe({
        groupId,
        topics: [topic],
        deadLetterTopic,
        retry: { maxAttempts: 3, initialBackoffMs: 10, maxBackoffMs: 40 },
        handleBatch: async (batch) => {
          if (batch.records.some((r) => r.key === 'poison')) {
            poisonAttempts++;
            throw new Error('cannot digest this record');
          }
          handled.push(...batch.records.map((r) => r.key));
        },
      });
      const dead = collector();
      await log.subscribe({ groupId: uniqueName('dlq-reader'), topics: [deadLetterTopic], deadLetterTopic: `${deadLetterTopic}.dlq`, handleBatch: dead.handleBatch });
      await log.publish(
        topic,
        ['a', 'b', 'poison', 'c', 'd'].map((key) => ({ key, value: json({ key }), headers: { traceparent: `00-${key.padEnd(32, '0')}-0000000000000001-01` } })),
      );

      await waitFor(() => handled.includes('d') && dead.records.length > 0, 'the records after the poison one and the dead letter');
      await waitFor(async () => (await log.committedOffset(groupId, { topic, partition: 0 })) === 5, 'the commit past the poison record');
      expect(new Set(handled)).toEqual(new Set(['a', 'b', 'c', 'd']));
      expect(handled.indexOf('c')).toBeGreaterThan(handled.lastIndexOf('b'));
      expect(poisonAttempts).toBeGreaterThanOrEqual(3);
      expect(poisonAttempts).toBeLessThanOrEqual(6);
      expect(dead.records).toHaveLength(1);
      const [letter] = dead.records;
      expect(letter.key).toBe('poison');
      expect(parse(letter)).toEqual({ key: 'poison' });
      expect(letter.headers).toMatchObject({
        traceparent: `00-${'poison'.padEnd(32, '0')}-0000000000000001-01`,
        [DeadLetterHeaders.sourceTopic]: topic,
        [DeadLetterHeaders.sourcePartition]: '0',
        [DeadLetterHeaders.sourceOffset]: '2',
        [DeadLetterHeaders.groupId]: groupId,
      });
      expect(letter.headers[DeadLetterHeaders.error]).toContain('cannot digest this record');
    });

    it('keeps published records and committed offsets across a restart', async () => {
      let log = await create();
      const { topic, deadLetterTopic } = await topicWith(log, 2);
      const groupId = uniqueName('durable');
      const before = Date.now();
      const sent = Array.from({ length: 100 }, (_, i) => ({ key: `k${i % 10}`, value: json({ i }), headers: { 'x-i': String(i) } }));
      await log.publish(topic, sent);
      const after = Date.now();
      const first = collector();
      const member = await log.subscribe({ groupId, topics: [topic], deadLetterTopic, handleBatch: first.handleBatch });
      await waitFor(() => first.records.length >= 100, 'the first consumer');
      const ends = [await log.endOffset({ topic, partition: 0 }), await log.endOffset({ topic, partition: 1 })];
      await waitFor(
        async () => (await log.committedOffset(groupId, { topic, partition: 0 })) === ends[0] && (await log.committedOffset(groupId, { topic, partition: 1 })) === ends[1],
        'the commits',
      );
      await member.stop();
      await close(log);

      log = await create();
      expect([await log.endOffset({ topic, partition: 0 }), await log.endOffset({ topic, partition: 1 })]).toEqual(ends);
      expect(ends[0] + ends[1]).toBe(100);
      expect(await log.committedOffset(groupId, { topic, partition: 0 })).toBe(ends[0]);
      expect(await log.committedOffset(groupId, { topic, partition: 1 })).toBe(ends[1]);

      const reread = collector();
      await log.subscribe({ groupId: uniqueName('reread'), topics: [topic], deadLetterTopic, fromBeginning: true, handleBatch: reread.handleBatch });
      await waitFor(() => reread.records.length >= 100, 'the re-read');
      const byI = (r: LogRecord) => parse<{ i: number }>(r).i;
      const got = [...reread.records].sort((x, y) => byI(x) - byI(y));
      expect(got.map((r) => ({ key: r.key, value: r.value.toString(), headers: r.headers }))).toEqual(
        sent.map((s) => ({ key: s.key, value: s.value.toString(), headers: expect.objectContaining(s.headers) })),
      );
      for (const record of got) {
        expect(record.timestamp).toBeGreaterThanOrEqual(before - 1_000);
        expect(record.timestamp).toBeLessThanOrEqual(after + 1_000);
      }

      const resumed = collector();
      await log.subscribe({ groupId, topics: [topic], deadLetterTopic, handleBatch: resumed.handleBatch });
      await log.publish(topic, [{ key: 'k0', value: json({ i: 'sentinel' }) }]);
      await waitFor(() => resumed.records.length > 0, 'the sentinel');
      await sleep(200);
      expect(resumed.records.map((r) => parse<{ i: unknown }>(r).i)).toEqual(['sentinel']);
    });
  });
}
