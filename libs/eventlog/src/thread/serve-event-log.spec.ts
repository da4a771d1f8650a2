import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { collector, sleep, waitFor } from '../contract/contract-helpers';
import { EmbeddedEventLog } from '../embedded/embedded-event-log';
import type { RecordBatch } from '../event-log.port';
import { PortEventLog } from './port-event-log';
import { serveEventLog, type ServeOptions } from './serve-event-log';

const TOPIC = 'things';
const DLQ = 'things.dlq';

describe('an event log served over a message port', () => {
  let dir: string;
  let log: EmbeddedEventLog;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-served-log-'));
    log = await EmbeddedEventLog.open({ dir });
    await log.ensureTopics([{ name: TOPIC, partitions: 1, retentionMs: null }]);
  });
  afterEach(async () => {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function serve(options?: ServeOptions) {
    const { port1, port2 } = new MessageChannel();
    return { served: serveEventLog(log, port1, options), remote: new PortEventLog(port2), threadEnd: port2 };
  }
  const publish = (n: number) => log.publish(TOPIC, Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: Buffer.from(`v${i}`) })));

  it('hands a batch over only once beforeBatch resolved', async () => {
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const { served, remote } = serve({ beforeBatch: () => gate });
    const seen = collector();
    await remote.subscribe({ groupId: 'gated', topics: [TOPIC], deadLetterTopic: DLQ, handleBatch: seen.handleBatch });
    await publish(3);
    await sleep(100);
    expect(seen.records).toHaveLength(0);
    open();
    await waitFor(() => seen.records.length === 3, 'the batch after the gate opened');
    expect(seen.records.map((r) => r.value.toString())).toEqual(['v0', 'v1', 'v2']);
    await remote.close();
    await served.close();
  });

  it('gives a batch whose thread went away mid-batch to the next member, uncommitted', async () => {
    const { remote: first, threadEnd } = serve();
    let started: (batch: RecordBatch) => void = () => undefined;
    const handedOver = new Promise<RecordBatch>((resolve) => (started = resolve));
    await first.subscribe({ groupId: 'handover', topics: [TOPIC], deadLetterTopic: DLQ, retry: { maxAttempts: 1000, initialBackoffMs: 10, maxBackoffMs: 10 }, handleBatch: (batch) => {
      started(batch);
      return new Promise<void>(() => undefined);
    } });
    await publish(2);
    await handedOver;
    // The thread ends without answering: its port closes, as when a worker exits.
    threadEnd.close();
    await sleep(100);
    expect(await log.committedOffset('handover', { topic: TOPIC, partition: 0 })).toBe(0);

    const { served, remote: second } = serve();
    const seen = collector();
    await second.subscribe({ groupId: 'handover', topics: [TOPIC], deadLetterTopic: DLQ, handleBatch: seen.handleBatch });
    await waitFor(() => seen.records.length === 2, 'the redelivered batch');
    await waitFor(async () => (await log.committedOffset('handover', { topic: TOPIC, partition: 0 })) === 2, 'the commit');
    await second.close();
    await served.close();
  });
});
