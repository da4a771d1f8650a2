/**
 * Real-time gateway overhead: for each POST /v1/inference, the end-to-end latency the client
 * sees minus the provider's own time (ObjectCompleted.latencyMs, read from the log), at a
 * fixed arrival rate (open loop: requests are sent on schedule whatever the answers do).
 * Providers answer at once (SLUICE_DEMO_LATENCY_SCALE=0), the fast profile (swift), qwen-7b.
 *
 *   node -r ./tools/register.cjs bench/realtime/overhead.bench.ts [--engine embedded|kafka] [--rates 50,500] [--seconds 10]
 *
 * `kafka` starts a real Kafka broker and PostgreSQL server (as the integration suites do).
 * Prints one JSON line per rate: client latency, provider time and overhead (p50, p99), errors.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Topics, decodeEvent } from '@sluice/events';
import { loadEmbeddedConfig } from '../../apps/sluice/src/config';
import { startEmbedded } from '../../apps/sluice/src/embedded-host';
import { latencySummary, round } from '../exchange/harness';
import { startBenchEngine } from './bench-engine';

const { values: args } = parseArgs({
  options: {
    engine: { type: 'string', default: 'embedded' },
    rates: { type: 'string', default: '50,500' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '100' },
  },
});
const RATES = args.rates.split(',').map(Number);
const SECONDS = Number(args.seconds);
const ADMIN_KEY = 'sk_admin_bench_realtime_0123456789';

interface Sample {
  ms: number;
  status: number;
  id?: string;
}

async function post(url: string, path: string, key: string, body: unknown): Promise<{ status: number; body: { id?: string; api_key?: string; current_balance_usd?: number } ; ms: number }> {
  const started = performance.now();
  const res = await fetch(`${url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const parsed = (await res.json()) as { id?: string; api_key?: string };
  return { status: res.status, body: parsed, ms: performance.now() - started };
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-bench-realtime-'));
  const { engine, stop } = await startBenchEngine(args.engine, 'bench_rt');
  const sluice = await startEmbedded(
    loadEmbeddedConfig({ SLUICE_DATA_DIR: dataDir, PORT: '0', SLUICE_ADMIN_KEY: ADMIN_KEY, HEARTBEAT_INTERVAL_MS: '5000', SLUICE_TIME_SCALE: '1', SLUICE_DEMO_LATENCY_SCALE: '0' }),
    engine,
  );
  try {
    const providerMs = new Map<string, number>();
    const sub = await sluice.log.subscribe({
      groupId: `bench-realtime-${Date.now()}`,
      topics: [Topics.objects],
      fromBeginning: false,
      deadLetterTopic: Topics.deadLetter,
      handleBatch: async (batch) => {
        for (const record of batch.records) {
          const event = decodeEvent(record);
          if (event.type === 'ObjectCompleted') providerMs.set(event.payload.objectId, event.payload.latencyMs);
        }
      },
    });
    const created = await post(sluice.url, '/v0/admin/accounts', ADMIN_KEY, { name: 'bench-realtime', credit_usd: 100_000 });
    const key = created.body.api_key!;
    while ((await post(sluice.url, '/v1/balance', key, undefined)).body.current_balance_usd !== 100_000) await sleep(100);
    const body = (i: number) => ({ model: 'qwen-7b', input: `Summarise event sourcing in one sentence. Request ${i}.`, max_output_tokens: 32, performance_profile: 'fast' });

    // Warm-up: JIT, connection pools, prepared statements.
    for (let i = 0; i < Number(args.warmup); i += 10) await Promise.all(Array.from({ length: 10 }, (_, k) => post(sluice.url, '/v1/inference', key, body(i + k))));

    for (const rate of RATES) {
      const total = rate * SECONDS;
      const samples: Promise<Sample>[] = [];
      const started = performance.now();
      for (let i = 0; i < total; i++) {
        const due = started + (i * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 1) await sleep(wait);
        samples.push(post(sluice.url, '/v1/inference', key, body(i)).then((r) => ({ ms: r.ms, status: r.status, id: r.body.id }), () => ({ ms: NaN, status: 0 })));
      }
      const sentIn = (performance.now() - started) / 1000;
      const done = await Promise.all(samples);
      await sleep(500);
      const ok = done.filter((s) => s.status === 200 && s.id !== undefined && providerMs.has(s.id));
      const overhead = ok.map((s) => s.ms - providerMs.get(s.id!)!);
      console.log(
        JSON.stringify({
          engine: args.engine,
          targetRate: rate,
          achievedSendRate: round(total / sentIn),
          requests: total,
          errors: done.length - ok.length,
          statuses: Object.fromEntries([...new Set(done.map((s) => s.status))].map((st) => [st, done.filter((s) => s.status === st).length])),
          endToEndMs: latencySummary(ok.map((s) => s.ms)),
          providerMs: latencySummary(ok.map((s) => providerMs.get(s.id!)!)),
          overheadMs: latencySummary(overhead),
        }),
      );
    }
    await sub.stop();
  } finally {
    await sluice.stop();
    await stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
