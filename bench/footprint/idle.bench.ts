// Idle memory of `npm start` (issue #26): starts the built embedded engine twice on one temporary
// data folder (first start: initdb and migrations; second: reopen), lets it settle, then reads
// the resident memory of the process tree, where it goes (PGlite's WASM memories, the other
// anonymous memory, the mapped binary) and, through a preload, each thread's V8 heap and each
// PGlite open. Idle only: nothing is sent to the engine.
//
//   npm run bench:footprint                        # 30 s settle, both starts
//   npm run bench:footprint -- --settle 60 --starts 1
//   SLUICE_SERVICE_THREAD=false npm run bench:footprint   # env passes through to the engine
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../free-port';

const root = resolve(__dirname, '../..');

// Runs inside the engine (every thread): one JSON line per PGlite open and, `settle` after the
// thread started, one with the thread's V8 heap. Plain JavaScript: it is handed to `node -r`.
const PRELOAD = String.raw`
const { readFileSync, appendFileSync } = require('node:fs');
const { threadId } = require('node:worker_threads');
const out = process.env.FOOTPRINT_OUT;
const mb = (bytes) => Math.round(bytes / 1048576);
const rss = () => Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024);
const log = (o) => appendFileSync(out, JSON.stringify({ thread: threadId, ...o }) + '\n');
try {
  const { PGlite } = require(require.resolve('@electric-sql/pglite', { paths: [process.cwd()] }));
  const create = PGlite.create;
  PGlite.create = async function (...args) {
    const before = rss();
    const db = await create.apply(this, args);
    const dir = typeof args[0] === 'string' ? args[0] : args[0] && args[0].dataDir;
    log({ ev: 'pglite', dir, processRssBeforeMB: before, processRssAfterMB: rss(), wasmMemoryMB: mb(db.mod && db.mod.wasmMemory ? db.mod.wasmMemory.buffer.byteLength : 0) });
    return db;
  };
} catch {}
setTimeout(() => {
  const m = process.memoryUsage();
  log({ ev: 'thread', heapTotalMB: mb(m.heapTotal), heapUsedMB: mb(m.heapUsed), externalMB: mb(m.external), arrayBuffersMB: mb(m.arrayBuffers) });
}, Number(process.env.FOOTPRINT_AT_MS)).unref();
`;

interface Mapping {
  sizeKb: number;
  rssKb: number;
  name: string;
}

function mappings(pid: number): Mapping[] {
  const found: Mapping[] = [];
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) found.push({ sizeKb: (parseInt(head[2], 16) - parseInt(head[1], 16)) / 1024, rssKb: 0, name: head[3] });
    else if (line.startsWith('Rss:')) found[found.length - 1].rssKb = Number(line.split(/\s+/)[1]);
  }
  return found;
}

/** The pid and its descendants (the engine is one process today; a child would count too). */
function tree(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const all = [pid];
  for (let i = 0; i < all.length; i++) for (const [child, parent] of parents) if (parent === all[i]) all.push(child);
  return all;
}

const statusKb = (pid: number, field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
const mbOf = (kb: number) => Math.round(kb / 1024);


async function measureStart(dataDir: string, settleMs: number, label: string): Promise<void> {
  const port = await freePort();
  const out = join(dataDir, `footprint-${label}.jsonl`);
  const preload = join(dataDir, 'footprint-preload.js');
  writeFileSync(preload, PRELOAD);
  rmSync(out, { force: true });
  const started = Date.now();
  const child = spawn(process.execPath, ['-r', preload, join(root, 'dist/apps/sluice/src/main.js')], {
    cwd: root,
    env: { ...process.env, PORT: String(port), SLUICE_DATA_DIR: dataDir, SLUICE_ADMIN_KEY: 'footprint-bench-admin-key-000000', FOOTPRINT_OUT: out, FOOTPRINT_AT_MS: String(settleMs), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  let readyMs = -1;
  while (Date.now() - started < 180_000) {
    if (child.exitCode !== null) throw new Error(`${label}: the engine exited (code ${child.exitCode}) before it was healthy`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.ok) {
        readyMs = Date.now() - started;
        break;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  if (readyMs < 0) throw new Error(`${label}: not healthy after 180 s`);
  await new Promise((r) => setTimeout(r, settleMs));
  // Each thread's report came at its start + settle, so before this point.
  const pid = child.pid!;
  const pids = tree(pid);
  const treeRssKb = pids.reduce((sum, p) => sum + statusKb(p, 'VmRSS'), 0);
  const maps = mappings(pid);
  // A PGlite WASM memory: an anonymous mapping of 128 MiB or more (PGlite's initial memory) with pages in it.
  const wasm = maps.filter((m) => m.name === '' && m.sizeKb >= 128 * 1024 && m.rssKb > 0);
  const file = maps.filter((m) => m.name.startsWith('/'));
  const anonRest = maps.filter((m) => !m.name.startsWith('/') && !wasm.includes(m));
  const report = {
    label,
    readyS: +(readyMs / 1000).toFixed(1),
    settleS: settleMs / 1000,
    processes: pids.length,
    threads: statusKb(pid, 'Threads'),
    treeRssMB: mbOf(treeRssKb),
    peakRssMB: mbOf(statusKb(pid, 'VmHWM')),
    pgliteWasmMemoriesMB: wasm.map((m) => mbOf(m.rssKb)),
    otherAnonymousMB: mbOf(anonRest.reduce((s, m) => s + m.rssKb, 0)),
    fileBackedMB: mbOf(file.reduce((s, m) => s + m.rssKb, 0)),
  };
  child.kill('SIGTERM');
  const code = await exited;
  const lines = existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) : [];
  console.log(JSON.stringify(report));
  for (const line of lines.filter((l) => l.ev === 'thread')) console.log(`  thread ${line.thread}: V8 heap ${line.heapTotalMB} MB (used ${line.heapUsedMB}), external ${line.externalMB} MB (array buffers ${line.arrayBuffersMB})`);
  for (const line of lines.filter((l) => l.ev === 'pglite')) console.log(`  pglite ${String(line.dir).replace(dataDir, '<data>')}: process RSS ${line.processRssBeforeMB} → ${line.processRssAfterMB} MB (thread ${line.thread}, WASM memory ${line.wasmMemoryMB} MB)`);
  if (code !== 0 && code !== null) console.log(`  (exit code ${code})`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { settle: { type: 'string', default: '30' }, starts: { type: 'string', default: '2' }, 'data-dir': { type: 'string' } } });
  const build = spawnSync(process.execPath, [join(root, 'tools/build.cjs')], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('build failed');
  const dataDir = values['data-dir'] ? resolve(values['data-dir']) : mkdtempSync(join(tmpdir(), 'sluice-footprint-'));
  const settleMs = Number(values.settle) * 1000;
  try {
    for (let start = 1; start <= Number(values.starts); start++) await measureStart(dataDir, settleMs, start === 1 && !values['data-dir'] ? 'first start (initdb)' : `start ${start} (reopen)`);
  } finally {
    if (!values['data-dir']) rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
