/**
 * Task paging benchmark (issue #25: `GET /v0/infer/task/{id}?limit=100` on a task of 1,000,000
 * objects). One file task of `--lines` objects through the whole exchange (upload, expansion,
 * projection into the API's read models; SLA of a day on gpt-4o-mini at 01:00 UTC, so the objects
 * wait for the off-peak window and none runs while we measure), then, once the balance stops moving
 * (billing's reservations projected: the API has nothing else to do), one request at a time:
 * - firstPage: `?limit=100` (the default page) `--samples` times;
 * - deepPage: `?limit=100&after=<id>` at cursors spread over the whole task;
 * - walk: every object once in pages of 1,000 (`limit=1000&after=…`): seconds and objects/s.
 * Each answer holds the counts by status over all objects (they come from the task row, not a scan).
 *
 *   npm run bench:task-page -- [--lines 100000] [--samples 200]
 */
import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Readable } from 'node:stream';
import { latencySummary, openAccount, round, runBenchmark, startExchange, type Exchange } from '../exchange/harness';
import { writeSeedFile } from '../files/jsonl-file';

const { values: args } = parseArgs({ options: { lines: { type: 'string', default: '100000' }, samples: { type: 'string', default: '200' } } });

interface Page {
  counts: Record<string, number>;
  objects: { object_id: string }[];
  has_more: boolean;
  next: string | null;
}

async function get<T>(ex: Exchange, key: string, path: string): Promise<{ ms: number; body: T; bytes: number }> {
  const started = performance.now();
  const res = await fetch(`${ex.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
  const text = await res.text();
  const ms = performance.now() - started;
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${text.slice(0, 300)}`);
  return { ms, body: JSON.parse(text) as T, bytes: Buffer.byteLength(text) };
}

async function main(): Promise<void> {
  const lines = Number(args.lines);
  const samples = Number(args.samples);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-task-page-'));
  // Real time: a big task takes long enough to load that, at a faster clock, it reaches its
  // dispatch time and starts to run before a page is asked for.
  const ex = await startExchange({ SLUICE_TIME_SCALE: '1', SLUICE_CLOCK_ORIGIN: '2030-01-01T01:00:00.000Z' });
  try {
    const path = join(dir, 'task.jsonl');
    await writeSeedFile(path, lines, ['openai:gpt-4o-mini']);
    const { key } = await openAccount(ex, 'bench-task-page', 1_000_000);
    const started = performance.now();
    const res = await fetch(`${ex.url}/v0/files/task.jsonl`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/jsonl', 'content-length': String(statSync(path).size) },
      body: Readable.toWeb(createReadStream(path)) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    const fileId = ((await res.json()) as { file_id: string }).file_id;
    const submitted = await fetch(`${ex.url}/v0/infer/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify([{ file_id: fileId, sla: 1440 }]),
    });
    const taskId = ((await submitted.json()) as { task_id: string }).task_id;
    // Ready once every object is projected and scheduled (queued): nothing moves while we measure.
    for (;;) {
      const { body } = await get<Page>(ex, key, `/v0/infer/task/${taskId}?limit=1`);
      if (body.counts.queued >= lines) break;
      await sleep(2_000);
    }
    const loadSeconds = (performance.now() - started) / 1000;
    // Then until billing's reservations are projected too (the balance stops moving): the API is idle but for us.
    let balance = NaN;
    for (;;) {
      const now = (await get<{ current_balance_usd: number }>(ex, key, '/v1/balance')).body.current_balance_usd;
      if (now === balance) break;
      balance = now;
      await sleep(5_000);
    }
    const settledSeconds = (performance.now() - started) / 1000;

    const walkStarted = performance.now();
    const ids: string[] = [];
    let after: string | null = null;
    do {
      const page: { body: Page } = await get<Page>(ex, key, `/v0/infer/task/${taskId}?limit=1000${after ? `&after=${after}` : ''}`);
      ids.push(...page.body.objects.map((o) => o.object_id));
      after = page.body.next;
    } while (after);
    const walkSeconds = (performance.now() - walkStarted) / 1000;
    if (new Set(ids).size !== lines) throw new Error(`the walk saw ${new Set(ids).size} distinct objects of ${lines}`);

    const first: number[] = [];
    let firstBytes = 0;
    for (let i = 0; i < samples; i++) {
      const r = await get<Page>(ex, key, `/v0/infer/task/${taskId}?limit=100`);
      first.push(r.ms);
      firstBytes = r.bytes;
    }
    const deep: number[] = [];
    for (let i = 0; i < samples; i++) deep.push((await get<Page>(ex, key, `/v0/infer/task/${taskId}?limit=100&after=${ids[Math.floor(((i + 0.5) / samples) * (lines - 1))]}`)).ms);
    console.log(
      JSON.stringify({
        lines,
        loadSeconds: round(loadSeconds),
        settledSeconds: round(settledSeconds),
        firstPageMs: latencySummary(first),
        firstPageBytes: firstBytes,
        deepPageMs: latencySummary(deep),
        walk: { pageSize: 1000, seconds: round(walkSeconds, 2), objectsPerSecond: Math.round(lines / walkSeconds) },
      }),
    );
  } finally {
    await ex.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

runBenchmark(main);
