import { Partitioners, type Message, type Producer, type ProducerBatch } from 'kafkajs';
import { partitionFor } from '../partitioner';
import { KafkaPublisher } from './kafka-publisher';

/** A producer that records each request and acknowledges it when told to. */
function fakeProducer() {
  const requests: Array<{ topic: string; messages: Message[] }[]> = [];
  const pending: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  const producer = {
    sendBatch: (batch: ProducerBatch) => {
      requests.push((batch.topicMessages ?? []).map(({ topic, messages }) => ({ topic, messages })));
      return new Promise((resolve, reject) => pending.push({ resolve: () => resolve([]), reject }));
    },
  } as unknown as Producer;
  return { producer, requests, pending };
}

/** Lets queued calls reach the fake producer (the publisher waits one macrotask before sending). */
const tick = async () => {
  for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
};
const kib = Buffer.alloc(1024, 'x');

describe('KafkaPublisher', () => {
  it('sends calls made while a request is in flight together as the next request', async () => {
    const { producer, requests, pending } = fakeProducer();
    const publisher = new KafkaPublisher([producer], async () => 1);
    const first = publisher.publish('orders', [{ key: 'a', value: kib }]);
    await tick();
    expect(requests).toHaveLength(1);

    const second = publisher.publish('orders', [{ key: 'b', value: kib }]);
    const third = publisher.publish('payments', [{ key: 'c', value: kib }]);
    await tick();
    expect(requests).toHaveLength(1);

    pending[0].resolve();
    await first;
    await tick();
    expect(requests).toHaveLength(2);
    expect(requests[1].map((t) => [t.topic, t.messages.map((m) => m.key)])).toEqual([
      ['orders', ['b']],
      ['payments', ['c']],
    ]);
    pending[1].resolve();
    await Promise.all([second, third]);
  });

  it('splits a call too large for one request and keeps the order of each partition', async () => {
    const { producer, requests, pending } = fakeProducer();
    const publisher = new KafkaPublisher([producer], async () => 2);
    // 1,500 KiB on one key: over the broker's 1 MiB limit for one partition in one request.
    const records = Array.from({ length: 1_500 }, (_, i) => ({ key: 'same-key', value: kib, headers: { seq: String(i) } }));
    let finished = false;
    const done = publisher.publish('orders', records).then(() => (finished = true));
    for (let acked = 0; !finished && acked < 10; acked++) {
      await tick();
      pending[acked]?.resolve();
      await tick();
    }
    await done;
    expect(requests.length).toBeGreaterThanOrEqual(3);
    for (const request of requests) {
      const bytes = request.flatMap((t) => t.messages).reduce((sum, m) => sum + (m.value as Buffer).length, 0);
      expect(bytes).toBeLessThanOrEqual(512 * 1024);
    }
    const sentSeqs = requests.flatMap((r) => r.flatMap((t) => t.messages.map((m) => Number((m.headers as Record<string, string>).seq))));
    expect(sentSeqs).toEqual(records.map((_, i) => i));
  });

  it('puts each record on the partition Kafka\'s default partitioner picks for its key', async () => {
    const { producer, requests, pending } = fakeProducer();
    const publisher = new KafkaPublisher([producer], async () => 12);
    const keys = Array.from({ length: 500 }, (_, i) => `object-${i}-${'é'.repeat(i % 3)}`);
    const done = publisher.publish('orders', keys.map((key) => ({ key, value: kib })));
    await tick();
    pending[0].resolve();
    await done;

    const kafkaDefault = Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: 12 }, (_, partitionId) => ({ partitionId, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0 }));
    for (const message of requests[0][0].messages) {
      const { partition: _explicit, ...asKafkajsWouldSee } = message;
      expect(message.partition).toBe(kafkaDefault({ topic: 'orders', partitionMetadata, message: asKafkajsWouldSee }));
      expect(message.partition).toBe(partitionFor(String(message.key), 12));
    }
  });

  it('fails every call in a failed request and drops their records still queued', async () => {
    const { producer, requests, pending } = fakeProducer();
    const publisher = new KafkaPublisher([producer], async () => 1);
    const big = publisher.publish('orders', Array.from({ length: 700 }, () => ({ key: 'k', value: kib })));
    await tick();
    pending[0].reject(new Error('broker said no'));
    await expect(big).rejects.toThrow('broker said no');
    await tick();
    expect(requests).toHaveLength(1);

    const later = publisher.publish('orders', [{ key: 'k', value: kib }]);
    await tick();
    expect(requests).toHaveLength(2);
    pending[1].resolve();
    await expect(later).resolves.toBeUndefined();
  });

  it('sends the partitions of different lanes in parallel requests', async () => {
    const lanes = [fakeProducer(), fakeProducer()];
    const publisher = new KafkaPublisher(lanes.map((l) => l.producer), async () => 2);
    const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
    const done = publisher.publish('orders', keys.map((key) => ({ key, value: kib })));
    await tick();
    expect(lanes.map((l) => l.requests.length)).toEqual([1, 1]);
    lanes.forEach((lane, n) => {
      for (const message of lane.requests[0][0].messages) expect(message.partition).toBe(n);
      lane.pending[0].resolve();
    });
    await done;
  });
});
