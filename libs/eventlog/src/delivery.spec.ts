import { createEvent, encodeEvent, ObjectDispatched } from '@sluice/events';
import { captureLogs, deadLettered } from '@sluice/telemetry';
import { DeliveryAbortedError, deliverBatch, type DeliveryDeps } from './delivery';
import type { LogRecord, OutgoingRecord, RecordBatch } from './event-log.port';

const rec = (offset: number): LogRecord => ({
  topic: 't',
  partition: 0,
  offset,
  key: `k${offset}`,
  value: Buffer.from(String(offset)),
  headers: { h: 'v' },
  timestamp: 0,
});
const batchOf = (...offsets: number[]): RecordBatch => ({ topic: 't', partition: 0, records: offsets.map(rec) });

function setup(handle: (b: RecordBatch) => Promise<void>, stopping = () => false) {
  const dead: OutgoingRecord[] = [];
  const sleeps: number[] = [];
  const deps: DeliveryDeps = {
    handleBatch: handle,
    publishDeadLetter: async (r) => void dead.push(...r),
    groupId: 'g',
    retry: { maxAttempts: 3, initialBackoffMs: 10, maxBackoffMs: 15 },
    isStopping: stopping,
    sleep: async (ms) => void sleeps.push(ms),
  };
  return { deps, dead, sleeps };
}

describe('deliverBatch', () => {
  it('retries a failing batch with capped exponential backoff, then succeeds without dead letters', async () => {
    let calls = 0;
    const { deps, dead, sleeps } = setup(async () => {
      if (++calls < 3) throw new Error('flaky');
    });
    await deliverBatch(batchOf(0, 1), deps);
    expect(calls).toBe(3);
    expect(sleeps).toEqual([10, 15]);
    expect(dead).toEqual([]);
  });

  it('isolates the poison record: only it is dead-lettered, with source and error headers', async () => {
    const handled: number[] = [];
    const { deps, dead } = setup(async (b) => {
      if (b.records.some((r) => r.offset === 1)) throw new Error('bad record');
      handled.push(...b.records.map((r) => r.offset));
    });
    await deliverBatch(batchOf(0, 1, 2), deps);
    expect(handled).toEqual([0, 2]);
    expect(dead).toHaveLength(1);
    expect(dead[0].headers).toMatchObject({
      h: 'v',
      'dlq-source-topic': 't',
      'dlq-source-offset': '1',
      'dlq-group-id': 'g',
      'dlq-error': 'Error: bad record',
    });
  });

  it('gives up without dead-lettering when the consumer is stopping, so the batch stays uncommitted', async () => {
    let stopping = false;
    const { deps, dead } = setup(
      async () => {
        stopping = true;
        throw new Error('down');
      },
      () => stopping,
    );
    await expect(deliverBatch(batchOf(0), deps)).rejects.toBeInstanceOf(DeliveryAbortedError);
    expect(dead).toEqual([]);
  });

  it('when it dead-letters an event, logs one line at error in its trace (group, topic, type, object, reason) and counts it by group, topic and type', async () => {
    const event = createEvent(
      ObjectDispatched,
      {
        objectId: 'obj-7',
        accountId: 'acct-1',
        attempt: 1,
        work: { model: 'qwen-7b', input: { text: 'hi' }, maxOutputTokens: 10 },
        deadlineAt: '2030-01-01T00:00:00.000Z',
        pricing: { kind: 'sla', basePrice: { inputMicrosPerMillion: 1, outputMicrosPerMillion: 1 }, priceFactor: 1 },
        avoidProviders: [],
        escalated: false,
      },
      { correlationId: 'task-1', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    );
    const encoded = encodeEvent(event);
    const record: LogRecord = { topic: 'sluice.objects.v1', partition: 3, offset: 41, key: encoded.key, value: encoded.value, headers: encoded.headers, timestamp: 0 };
    const labels = { group: 'router.dispatch', topic: 'sluice.objects.v1', type: 'ObjectDispatched' };
    const counted = async () => (await deadLettered.get()).values.find((v) => v.labels.group === labels.group && v.labels.type === labels.type)?.value ?? 0;
    const before = await counted();
    const logs = captureLogs('info');
    try {
      const { deps } = setup(async () => {
        throw new Error('handler bug');
      });
      await deliverBatch({ topic: record.topic, partition: 3, records: [record] }, { ...deps, groupId: 'router.dispatch' });
      const lines = logs.lines().filter((l) => l.msg === 'event dead-lettered');
      expect(lines).toEqual([
        expect.objectContaining({
          level: 'error',
          trace_id: '0af7651916cd43dd8448eb211c80319c',
          group: 'router.dispatch',
          topic: 'sluice.objects.v1',
          eventType: 'ObjectDispatched',
          eventId: event.eventId,
          objectId: 'obj-7',
          reason: 'Error: handler bug',
        }),
      ]);
    } finally {
      logs.restore();
    }
    expect(await counted()).toBe(before + 1);
  });
});
