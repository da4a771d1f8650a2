/**
 * Event log benchmark: publish + consume throughput of 1 KiB events and publish→consume
 * latency at a moderate steady rate, through the port, for the embedded and Kafka adapters.
 *
 *   npm run bench:eventlog -- [--adapter embedded|kafka|both] [--events 200000] [--rate 5000]
 *
 * Kafka: uses KAFKA_BROKERS if set, else starts a real local broker (libs/testing).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createEventLog, type EventLog, type EventLogConfig, type OutgoingRecord } from '@sluice/eventlog';
import { startKafkaBroker } from '@sluice/testing';

const { values: args } = parseArgs({
  options: {
    adapter: { type: 'string', default: 'both' },
    events: { type: 'string', default: '200000' },
    size: { type: 'string', default: '1024' },
    rate: { type: 'string', default: '5000' },
    seconds: { type: 'string', default: '10' },
    partitions: { type: 'string', default: '6' },
  },
});
const EVENTS = Number(args.events);
const SIZE = Number(args.size);
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const PARTITIONS = Number(args.partitions);
const PUBLISH_BATCH = 1_000;
const PUBLISHERS = 4;

const payload = Buffer.alloc(SIZE, 'x');
const record = (i: number, sentAt = 0): OutgoingRecord => ({
  key: `object-${i % 10_000}`,
  value: payload,
  headers: { 'sent-at': String(sentAt) },
});

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function throughput(log: EventLog, run: string) {
  const topic = `bench.throughput.${run}`;
  await log.ensureTopics([{ name: topic, partitions: PARTITIONS, retentionMs: 3_600_000 }]);
  let consumed = 0;
  let done!: () => void;
  const allConsumed = new Promise<void>((r) => (done = r));
  const sub = await log.subscribe({
    groupId: `bench-${run}`,
    topics: [topic],
    deadLetterTopic: `bench.dlq.${run}`,
    maxBatchSize: 2_000,
    handleBatch: async (batch) => {
      consumed += batch.records.length;
      if (consumed >= EVENTS) done();
    },
  });
  const started = process.hrtime.bigint();
  let next = 0;
  const publisher = async () => {
    while (next < EVENTS) {
      const from = next;
      next = Math.min(EVENTS, next + PUBLISH_BATCH);
      const batch: OutgoingRecord[] = [];
      for (let i = from; i < next; i++) batch.push(record(i));
      await log.publish(topic, batch);
    }
  };
  await Promise.all(Array.from({ length: PUBLISHERS }, publisher));
  const published = Number(process.hrtime.bigint() - started) / 1e9;
  await allConsumed;
  const total = Number(process.hrtime.bigint() - started) / 1e9;
  await sub.stop();
  return { publishPerSec: Math.round(EVENTS / published), endToEndPerSec: Math.round(EVENTS / total), seconds: total };
}

async function latency(log: EventLog, run: string) {
  const topic = `bench.latency.${run}`;
  await log.ensureTopics([{ name: topic, partitions: PARTITIONS, retentionMs: 3_600_000 }]);
  const samples: number[] = [];
  const sub = await log.subscribe({
    groupId: `bench-lat-${run}`,
    topics: [topic],
    fromBeginning: false,
    deadLetterTopic: `bench.dlq.${run}`,
    handleBatch: async (batch) => {
      const now = performance.now();
      for (const r of batch.records) samples.push(now - Number(r.headers['sent-at']));
    },
  });
  await new Promise((r) => setTimeout(r, 1_000));
  const tickMs = 10;
  const perTick = Math.max(1, Math.round((RATE * tickMs) / 1000));
  const ticks = Math.round((SECONDS * 1000) / tickMs);
  let i = 0;
  const inFlight: Promise<void>[] = [];
  for (let t = 0; t < ticks; t++) {
    const batch: OutgoingRecord[] = [];
    for (let k = 0; k < perTick; k++) batch.push(record(i++, performance.now()));
    inFlight.push(log.publish(topic, batch));
    await new Promise((r) => setTimeout(r, tickMs));
  }
  await Promise.all(inFlight);
  const deadline = Date.now() + 10_000;
  while (samples.length < i && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await sub.stop();
  samples.sort((a, b) => a - b);
  return {
    rate: RATE,
    received: `${samples.length}/${i}`,
    p50Ms: +percentile(samples, 50).toFixed(2),
    p99Ms: +percentile(samples, 99).toFixed(2),
    maxMs: +(samples.at(-1) ?? NaN).toFixed(2),
  };
}

async function bench(name: string, config: EventLogConfig) {
  const log = await createEventLog(config);
  const run = `${Date.now()}`;
  try {
    const tp = await throughput(log, run);
    const lat = await latency(log, run);
    console.log(JSON.stringify({ adapter: name, events: EVENTS, eventBytes: SIZE, partitions: PARTITIONS, ...tp, latency: lat }));
  } finally {
    await log.close();
  }
}

async function main() {
  const adapters = args.adapter === 'both' ? ['embedded', 'kafka'] : [String(args.adapter)];
  for (const adapter of adapters) {
    if (adapter === 'embedded') {
      const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
      try {
        await bench('embedded', { kind: 'embedded', dir });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    } else if (adapter === 'kafka') {
      const external = process.env.KAFKA_BROKERS?.split(',');
      const broker = external ? undefined : await startKafkaBroker();
      try {
        await bench('kafka', { kind: 'kafka', brokers: external ?? broker!.brokers, clientId: 'sluice-bench' });
      } finally {
        await broker?.stop();
      }
    } else {
      throw new Error(`unknown adapter ${adapter}`);
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
