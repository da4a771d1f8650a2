/**
 * Real-time gateway overhead: for each POST /v1/inference, the latency the client sees minus
 * the provider's own time (the response's performance.provider_latency_ms), at a fixed arrival
 * rate (open loop), from a client on its own worker thread. Providers are the demo market's
 * (instant at the default --latency-scale 0), the fast profile (swift), qwen-7b. After each
 * rate it also measures how long the asynchronous side (billing, via the log) takes to charge
 * every answered request, and the process's peak RSS.
 *
 *   npm run bench:realtime -- [--engine embedded|kafka] [--rates 200,1000] [--seconds 10] [--latency-scale 0]
 *                             [--endpoint inference|chat] [--stream]
 *
 * `kafka` starts a real Kafka broker and PostgreSQL server (as the integration suites do).
 * LOG_LEVEL=silent and SLUICE_METRICS=false in the environment measure what logs and metrics cost.
 * Prints one JSON line per rate.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Topics, decodeEvent } from '@sluice/events';
import { loadEmbeddedConfig } from '../../apps/sluice/src/config';
import { startEmbedded } from '../../apps/sluice/src/embedded-host';
import { benchEnvironment, latencySummary, round } from '../exchange/harness';
import { startBenchEngine } from './bench-engine';
import type { OverheadClientSettings } from './overhead.client';
import { runOverheadClient } from './run-client';

const { values: args } = parseArgs({
  options: {
    engine: { type: 'string', default: 'embedded' },
    rates: { type: 'string', default: '200,1000' },
    seconds: { type: 'string', default: '10' },
    'latency-scale': { type: 'string', default: '0' },
    'max-output-tokens': { type: 'string', default: '32' },
    warmup: { type: 'string', default: '200' },
    endpoint: { type: 'string', default: 'inference' },
    stream: { type: 'boolean', default: false },
  },
});
if (args.endpoint !== 'inference' && args.endpoint !== 'chat') throw new Error('--endpoint is inference or chat');
if (args.stream && args.endpoint !== 'chat') throw new Error('--stream needs --endpoint chat');
const RATES = args.rates.split(',').map(Number);
const SECONDS = Number(args.seconds);
const ADMIN_KEY = 'sk_admin_bench_realtime_0123456789';
/** How long the asynchronous side may take to charge the last answered request before the bench gives up waiting. */
const CATCH_UP_GIVE_UP_MS = 60_000;

async function call(url: string, method: string, path: string, key: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (await res.json()) as { api_key?: string; current_balance_usd?: number };
}


async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-bench-realtime-'));
  const { engine, stop } = await startBenchEngine(args.engine, 'bench_rt');
  const sluice = await startEmbedded(
    loadEmbeddedConfig({
      SLUICE_DATA_DIR: dataDir,
      PORT: '0',
      SLUICE_ADMIN_KEY: ADMIN_KEY,
      HEARTBEAT_INTERVAL_MS: '5000',
      SLUICE_TIME_SCALE: '1',
      SLUICE_DEMO_LATENCY_SCALE: args['latency-scale'],
      ...benchEnvironment(),
    }),
    engine,
  );
  try {
    // When billing's Charged for each object was seen (real time).
    const chargedAt = new Map<string, number>();
    const sub = await sluice.log.subscribe({
      groupId: `bench-realtime-${Date.now()}`,
      topics: [Topics.billing],
      fromBeginning: false,
      deadLetterTopic: Topics.deadLetter,
      handleBatch: async (batch) => {
        const now = performance.now();
        for (const record of batch.records) {
          const event = decodeEvent(record);
          if (event.type === 'Charged') chargedAt.set(event.payload.objectId, now);
        }
      },
    });
    const created = await call(sluice.url, 'POST', '/v0/admin/accounts', ADMIN_KEY, { name: 'bench-realtime', credit_usd: 100_000 });
    const key = created.api_key!;
    while ((await call(sluice.url, 'GET', '/v1/balance', key)).current_balance_usd !== 100_000) await sleep(100);
    const settings = (rate: number, seconds: number, tag: string): OverheadClientSettings => ({
      url: sluice.url,
      key,
      rate,
      seconds,
      maxOutputTokens: Number(args['max-output-tokens']),
      profile: 'fast',
      tag,
      endpoint: args.endpoint as OverheadClientSettings['endpoint'],
      stream: args.stream,
    });
    // Warm-up: JIT, connection pools, prepared statements, the gateway's view of the providers.
    await runOverheadClient(settings(100, Number(args.warmup) / 100, 'warm-up'));

    for (const rate of RATES) {
      let peakRss = 0;
      const rss = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 100);
      const loopBefore = performance.eventLoopUtilization();
      const cpuBefore = process.cpuUsage();
      const { samples, sentInSeconds } = await runOverheadClient(settings(rate, SECONDS, `rate-${rate}`));
      const loop = performance.eventLoopUtilization(loopBefore);
      const cpu = process.cpuUsage(cpuBefore);
      const clientDone = performance.now();
      const ok = samples.filter((s) => s.status === 200 && s.id !== undefined && s.providerMs !== undefined);
      for (let until = clientDone + CATCH_UP_GIVE_UP_MS; performance.now() < until && ok.some((s) => !chargedAt.has(s.id!)); ) await sleep(20);
      clearInterval(rss);
      const uncharged = ok.filter((s) => !chargedAt.has(s.id!)).length;
      const lastCharged = Math.max(...ok.map((s) => chargedAt.get(s.id!) ?? Number.NaN));
      console.log(
        JSON.stringify({
          engine: args.engine,
          endpoint: args.stream ? 'chat (stream)' : args.endpoint,
          targetRate: rate,
          achievedSendRate: round(samples.length / sentInSeconds),
          requests: samples.length,
          succeeded: ok.length,
          statuses: Object.fromEntries([...new Set(samples.map((s) => s.status))].map((st) => [st, samples.filter((s) => s.status === st).length])),
          errorCodes: [...new Set(samples.flatMap((s) => (s.code ? [s.code] : [])))],
          endToEndMs: latencySummary(ok.map((s) => s.ms)),
          providerMs: latencySummary(ok.map((s) => s.providerMs!)),
          overheadMs: latencySummary(ok.map((s) => s.ms - s.providerMs!)),
          // A stream: when the first text reached the client (the provider's first token is at
          // once at --latency-scale 0, so this is Sluice's part).
          ...(args.stream ? { firstTextMs: latencySummary(ok.flatMap((s) => (s.firstTextMs !== undefined ? [s.firstTextMs] : []))) } : {}),
          // From the client's last answer until billing had charged every answered request.
          lastChargedAfterMs: uncharged > 0 ? null : round(Math.max(0, lastCharged - clientDone)),
          uncharged,
          peakRssMb: round(peakRss / 2 ** 20),
          exchangeThreadBusy: round(loop.utilization),
          // Every thread of the process (the client's too) while the client ran, per request sent.
          cpuMsPerRequest: round((cpu.user + cpu.system) / 1000 / samples.length),
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
