import { randomUUID } from 'node:crypto';
import { describeEventLogContract } from '../contract/event-log.contract';
import { collector, sleep, waitFor } from '../contract/contract-helpers';
import type { RecordBatch } from '../event-log.port';
import { KafkaEventLog, UnknownTopicError } from './kafka-event-log';

/** The broker the integration global setup started (libs/testing; not imported: infra must not depend on testing). */
function testKafkaBrokers(): string[] {
  const brokers = process.env.SLUICE_TEST_KAFKA_BROKERS;
  if (!brokers) throw new Error('SLUICE_TEST_KAFKA_BROKERS is not set: run with `npx jest <path> --selectProjects integration`');
  return brokers.split(',');
}

describeEventLogContract('kafka', {
  create: () => KafkaEventLog.connect({ brokers: testKafkaBrokers(), clientId: 'eventlog-contract' }),
  config: () => ({ kind: 'kafka', brokers: testKafkaBrokers(), clientId: 'eventlog-contract-child' }),
});

describe('KafkaEventLog on a real broker', () => {
  jest.setTimeout(60_000);
  let log: KafkaEventLog;
  beforeEach(async () => {
    log = await KafkaEventLog.connect({ brokers: testKafkaBrokers(), clientId: 'eventlog-kafka-spec', sessionTimeoutMs: 3_000, heartbeatIntervalMs: 300 });
  });
  afterEach(() => log.close());
  const name = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

  it('refuses to publish to a topic nobody provisioned, at once instead of retrying forever', async () => {
    const started = Date.now();
    await expect(log.publish(name('missing'), [{ key: 'k', value: Buffer.from('x') }])).rejects.toBeInstanceOf(UnknownTopicError);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('provisions partitions and infinite retention, and leaves an existing topic as it is', async () => {
    const kept = name('kept');
    const expiring = name('expiring');
    await log.ensureTopics([
      { name: kept, partitions: 3, retentionMs: null },
      { name: expiring, partitions: 1, retentionMs: 3_600_000 },
    ]);
    await log.ensureTopics([{ name: kept, partitions: 8, retentionMs: 1_000 }]);

    const { Kafka, ConfigResourceTypes } = await import('kafkajs');
    const admin = new Kafka({ clientId: 'eventlog-kafka-spec-admin', brokers: testKafkaBrokers() }).admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [kept, expiring] });
      expect(topics.map((t) => [t.name, t.partitions.length]).sort()).toEqual([[expiring, 1], [kept, 3]].sort());
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [kept, expiring].map((topic) => ({ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms'] })),
      });
      const retention = Object.fromEntries(resources.map((r) => [r.resourceName, r.configEntries[0].configValue]));
      expect(retention).toEqual({ [kept]: '-1', [expiring]: '3600000' });
    } finally {
      await admin.disconnect();
    }
  });

  it('publishes more than the broker takes in one request to one partition, in order', async () => {
    const topic = name('large');
    await log.ensureTopics([{ name: topic, partitions: 2, retentionMs: null }]);
    const records = Array.from({ length: 3_000 }, (_, i) => ({ key: 'one-key', value: Buffer.alloc(1024, i % 256), headers: { seq: String(i) } }));
    await log.publish(topic, records);
    const seen = collector();
    await log.subscribe({ groupId: name('large'), topics: [topic], deadLetterTopic: `${topic}.dlq`, handleBatch: seen.handleBatch });
    await waitFor(() => seen.records.length >= records.length, 'every record');
    expect(seen.records.map((r) => Number(r.headers.seq))).toEqual(records.map((_, i) => i));
  });

  it('keeps its partitions while a handler runs longer than the session timeout', async () => {
    const topic = name('slow');
    const groupId = name('slow');
    await log.ensureTopics([{ name: topic, partitions: 1, retentionMs: null }]);
    await log.publish(topic, [{ key: 'k', value: Buffer.from('slow one') }]);
    const deliveries: number[] = [];
    await log.subscribe({
      groupId,
      topics: [topic],
      deadLetterTopic: `${topic}.dlq`,
      handleBatch: async (batch: RecordBatch) => {
        deliveries.push(...batch.records.map((r) => r.offset));
        await sleep(7_000); // over twice the 3 s session timeout
      },
    });
    await waitFor(async () => (await log.committedOffset(groupId, { topic, partition: 0 })) === 1, 'the commit', 20_000);
    await sleep(1_000);
    expect(deliveries).toEqual([0]);
  });

  it('commits the batch in flight when a member stops during it', async () => {
    const topic = name('stop');
    const groupId = name('stop');
    await log.ensureTopics([{ name: topic, partitions: 1, retentionMs: null }]);
    await log.publish(topic, Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: Buffer.from(String(i)) })));
    let release!: () => void;
    const inHandler = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered = false;
    const member = await log.subscribe({
      groupId,
      topics: [topic],
      deadLetterTopic: `${topic}.dlq`,
      handleBatch: async () => {
        entered = true;
        await inHandler;
      },
    });
    await waitFor(() => entered, 'the handler to start');
    const stopped = member.stop();
    await sleep(300);
    release();
    await stopped;
    expect(member.assignments()).toEqual([]);
    expect(await log.committedOffset(groupId, { topic, partition: 0 })).toBe(5);
  });

  it('reports the cluster it reaches in health()', async () => {
    const health = await log.health();
    expect(health.ok).toBe(true);
    expect(health.detail).toMatch(/1 broker\(s\)/);
  });
});
