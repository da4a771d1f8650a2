/**
 * Where one real-time request's time goes: sends POST /v1/inference one at a time (no load)
 * and prints, per event of its life, the median milliseconds from the POST being sent to the
 * event's `occurredAt` (decided) and to its append on the log (durable), then the answer.
 *
 *   node -r ./tools/register.cjs bench/realtime/hops.bench.ts [--engine embedded|kafka] [--requests 30]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Topics, decodeEvent } from '@sluice/events';
import { loadEmbeddedConfig } from '../../apps/sluice/src/config';
import { startEmbedded } from '../../apps/sluice/src/embedded-host';
import { round } from '../exchange/harness';
import { startBenchEngine } from './bench-engine';

const { values: args } = parseArgs({
  options: {
    engine: { type: 'string', default: 'embedded' },
    requests: { type: 'string', default: '30' },
  },
});
const ADMIN_KEY = 'sk_admin_bench_hops_0123456789abcdef';

interface Seen {
  type: string;
  objectId?: string;
  accountId?: string;
  occurredAt: number;
  appendedAt: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)];
};

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-bench-hops-'));
  const { engine, stop } = await startBenchEngine(args.engine, 'bench_hops');
  const sluice = await startEmbedded(
    loadEmbeddedConfig({ SLUICE_DATA_DIR: dataDir, PORT: '0', SLUICE_ADMIN_KEY: ADMIN_KEY, HEARTBEAT_INTERVAL_MS: '5000', SLUICE_TIME_SCALE: '1', SLUICE_DEMO_LATENCY_SCALE: '0' }),
    engine,
  );
  try {
    const seen: Seen[] = [];
    const sub = await sluice.log.subscribe({
      groupId: `bench-hops-${Date.now()}`,
      topics: [Topics.objects, Topics.billing, Topics.tasks],
      fromBeginning: false,
      deadLetterTopic: Topics.deadLetter,
      handleBatch: async (batch) => {
        for (const record of batch.records) {
          const event = decodeEvent(record);
          const payload = event.payload as { objectId?: string; accountId?: string };
          seen.push({ type: event.type, objectId: payload.objectId, accountId: payload.accountId, occurredAt: Date.parse(event.occurredAt), appendedAt: record.timestamp });
        }
      },
    });
    const call = async (path: string, key: string, body?: unknown) => {
      const res = await fetch(`${sluice.url}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as { id?: string; api_key?: string; current_balance_usd?: number } };
    };
    const created = await call('/v0/admin/accounts', ADMIN_KEY, { name: 'bench-hops', credit_usd: 100_000 });
    const key = created.body.api_key!;
    while ((await call('/v1/balance', key)).body.current_balance_usd !== 100_000) await sleep(100);
    const body = (i: number) => ({ model: 'qwen-7b', input: `Summarise event sourcing in one sentence. Request ${i}.`, max_output_tokens: 32, performance_profile: 'fast' });
    for (let i = 0; i < 20; i++) await call('/v1/inference', key, body(i));

    const rows = new Map<string, { decided: number[]; appended: number[] }>();
    const totals: number[] = [];
    for (let i = 0; i < Number(args.requests); i++) {
      const sent = Date.now();
      const answer = await call('/v1/inference', key, body(i));
      const answered = Date.now();
      totals.push(answered - sent);
      await sleep(50);
      const id = answer.body.id;
      const mine = seen.filter((s) => s.objectId === id || (s.objectId === undefined && s.appendedAt >= sent && s.appendedAt <= answered));
      for (const s of mine) {
        const row = rows.get(s.type) ?? { decided: [], appended: [] };
        row.decided.push(s.occurredAt - sent);
        row.appended.push(s.appendedAt - sent);
        rows.set(s.type, row);
      }
    }
    const ordered = [...rows].sort((a, b) => median(a[1].appended) - median(b[1].appended));
    for (const [type, row] of ordered) console.log(JSON.stringify({ event: type, n: row.decided.length, decidedMs: round(median(row.decided)), appendedMs: round(median(row.appended)) }));
    console.log(JSON.stringify({ engine: args.engine, answeredMs: round(median(totals)) }));
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
