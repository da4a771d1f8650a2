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
});
