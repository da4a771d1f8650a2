/**
 * Files benchmark (issue: 1,000,000-line JSONL file; targets: expansion ≥ 20,000 lines/s, files
 * service peak RSS < 300 MB). Three measurements, one JSON line:
 * - upload: PUT /v0/files/… of the whole file, streamed from disk, against `npm start`'s engine;
 * - expansion: the files service alone in a child process (as its own Deployment, on PostgreSQL)
 *   turning every line into ObjectSubmitted on the log: time, lines/s, the process's peak RSS;
 * - roundtrip (`--roundtrip N`): an N-line file through the whole exchange with Output-Format: jsonl
 *   until its output file is downloadable (SLA 60 min, time scale 3000, instant demo providers).
 *
 *   npm run bench:files -- [--lines 1000000] [--roundtrip 0]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { startPostgres } from '@sluice/testing';
import { openAccount, round, runBenchmark, startExchange, uploadFile, type Exchange } from '../exchange/harness';
import { writeSeedFile } from './jsonl-file';

/**
 * The deployed command, `npm run start:files`, as package.json has it: its node flags (FILES_NODE_FLAGS
 * replaces them, e.g. to try others). The service runs compiled (tools/build.cjs, the script's
 * pre-step), so the child runs from dist/ as well. The flags: V8's default heap growth lets garbage
 * reach ~2.5x the live heap between full collections (peak RSS ~290 MB); growing by 100% keeps the
 * peak near 220 MB for ~2x the full collections (a few % of the rate), and an 8 MB young generation
 * halves the scavenges of a 4 MB one. A --max-old-space-size cap also shrinks growth, but to ~1.1x:
 * 4x the full collections.
 */
function startFilesNodeFlags(): string[] {
  const script = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['start:files'];
  const words = script.split(' ').filter(Boolean);
  if (words[0] !== 'node' || !words.at(-1)?.startsWith('dist/')) throw new Error(`start:files is not "node [flags] dist/…": ${script}`);
  return process.env.FILES_NODE_FLAGS !== undefined ? process.env.FILES_NODE_FLAGS.split(' ').filter(Boolean) : words.slice(1, -1);
}

const ROOT = join(__dirname, '..', '..');
const { values: args } = parseArgs({ options: { lines: { type: 'string', default: '1000000' }, roundtrip: { type: 'string', default: '0' } } });

async function upload(ex: Exchange, key: string, path: string): Promise<{ fileId: string; seconds: number }> {
  const started = performance.now();
  const fileId = await uploadFile(ex.url, key, path);
  return { fileId, seconds: (performance.now() - started) / 1000 };
}

async function roundtrip(lines: number, dir: string) {
  const path = join(dir, `roundtrip-${lines}.jsonl`);
  await writeSeedFile(path, lines, ['qwen-7b', 'llama-3.1-8b', 'deepseek:r1-32b']);
  const ex = await startExchange({ SLUICE_TIME_SCALE: '3000', SLUICE_DEMO_LATENCY_SCALE: '0' });
  try {
    const { key } = await openAccount(ex, 'bench-files-roundtrip', 10_000);
    const started = performance.now();
    const { fileId } = await upload(ex, key, path);
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'output-format': 'jsonl' };
    const task = (await (await fetch(`${ex.url}/v0/infer/`, { method: 'POST', headers, body: JSON.stringify([{ file_id: fileId, sla: 60 }]) })).json()) as { task_id: string };
    for (;;) {
      const view = (await (await fetch(`${ex.url}/v0/infer/task/${task.task_id}`, { headers })).json()) as { output_url?: string; completed_items: number; failed_items: number };
      if (view.output_url) {
        const text = await (await fetch(view.output_url, { headers })).text();
        const seconds = (performance.now() - started) / 1000;
        return { lines, seconds: round(seconds), objectsPerSecond: Math.round(lines / seconds), outputLines: text.split('\n').length - 1, completed: view.completed_items, failed: view.failed_items };
      }
      await sleep(1000);
    }
  } finally {
    await ex.stop();
  }
}

async function main(): Promise<void> {
  const lines = Number(args.lines);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-files-'));
  try {
    const path = join(dir, 'bench.jsonl');
    const bytes = await writeSeedFile(path, lines);
    const ex = await startExchange();
    let uploadSeconds: number;
    try {
      const { key } = await openAccount(ex, 'bench-files', 1);
      uploadSeconds = (await upload(ex, key, path)).seconds;
    } finally {
      await ex.stop();
    }
    // The files service's own database is PostgreSQL, as deployed (PGlite alone holds ~750 MB of WASM memory).
    const postgres = await startPostgres();
    let child: string;
    try {
      const databaseUrl = await postgres.createDatabase('bench_files');
      execFileSync(process.execPath, [join(ROOT, 'tools', 'build.cjs')], { stdio: 'inherit' });
      const script = join(ROOT, 'dist', 'bench', 'files', 'files-service.child.js');
      child = execFileSync(process.execPath, [...startFilesNodeFlags(), script, path, String(lines), databaseUrl], { encoding: 'utf8', maxBuffer: 1 << 20 });
    } finally {
      await postgres.stop();
    }
    const expansion = JSON.parse(child.trim().split('\n').at(-1) ?? '{}');
    const result: Record<string, unknown> = { filesNodeFlags: startFilesNodeFlags().join(' '), lines, megabytes: round(bytes / 1e6), uploadSeconds: round(uploadSeconds), uploadMBps: round(bytes / 1e6 / uploadSeconds), ...expansion };
    const n = Number(args.roundtrip);
    if (n > 0) result.roundtrip = await roundtrip(n, dir);
    console.log(JSON.stringify(result));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

runBenchmark(main);
