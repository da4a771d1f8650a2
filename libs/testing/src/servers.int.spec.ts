import { randomUUID } from 'node:crypto';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { createTestDatabase, testKafkaBrokers, testS3Endpoint } from './jest/test-servers';

describe('test servers started by the integration global setup', () => {
  it('the Kafka broker stores a record in a new topic and serves it to a consumer', async () => {
    const kafka = new Kafka({ clientId: 'servers-smoke', brokers: testKafkaBrokers(), logLevel: logLevel.WARN });
    const topic = `smoke-${randomUUID()}`;
    const admin = kafka.admin();
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    const consumer = kafka.consumer({ groupId: `smoke-${randomUUID()}` });
    try {
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      await producer.connect();
      await producer.send({ topic, messages: [{ key: 'k1', value: 'hello broker' }] });

      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      const received = new Promise<{ key: string; value: string }>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) => resolve({ key: String(message.key), value: String(message.value) }),
        });
      });
      await expect(received).resolves.toEqual({ key: 'k1', value: 'hello broker' });
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await admin.disconnect();
    }
  }, 30_000);

  it('the broker refuses to auto-create topics, so a mistyped topic fails loudly', async () => {
    const kafka = new Kafka({ clientId: 'servers-smoke', brokers: testKafkaBrokers(), logLevel: logLevel.NOTHING, retry: { retries: 1 } });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      await expect(producer.send({ topic: `missing-${randomUUID()}`, messages: [{ value: 'x' }] })).rejects.toThrow();
    } finally {
      await producer.disconnect();
    }
  }, 30_000);

  it('the PostgreSQL server creates a database that accepts writes and queries', async () => {
    const url = await createTestDatabase('smoke');
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('CREATE TABLE note (id int PRIMARY KEY, body text NOT NULL)');
      await client.query('INSERT INTO note VALUES ($1, $2)', [1, 'hello server']);
      const { rows } = await client.query('SELECT body, current_database() AS db FROM note WHERE id = 1');
      expect(rows).toEqual([{ body: 'hello server', db: new URL(url).pathname.slice(1) }]);
    } finally {
      await client.end();
    }
  });

  it('the S3 server stores an object in a new bucket and serves a byte range of it', async () => {
    const bucketUrl = `${testS3Endpoint()}/smoke-${randomUUID().slice(0, 8)}`;
    expect((await fetch(bucketUrl, { method: 'PUT' })).status).toBe(200);
    expect((await fetch(`${bucketUrl}/files/a`, { method: 'PUT', body: 'hello object store' })).status).toBe(200);
    const ranged = await fetch(`${bucketUrl}/files/a`, { headers: { Range: 'bytes=6-11' } });
    expect({ status: ranged.status, body: await ranged.text() }).toEqual({ status: 206, body: 'object' });
    expect((await fetch(`${bucketUrl}/files/missing`)).status).toBe(404);
  });
});
