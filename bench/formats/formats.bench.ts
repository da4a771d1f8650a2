/**
 * Batch file formats benchmark: an upload-time scan (FileScanner) and an expansion pass
 * (readLines + parseLine) over a generated JSONL file, each in its own process so its peak RSS is
 * its own. Prints one JSON line.
 *
 *   npm run bench:formats -- [--lines 1000000] [--format sluice|openai]
 *
 * Memory: read+parse should stay flat (RSS at 10% of the file ≈ at the end); the scan's extra is the
 * key → first line map it needs to find a duplicate key.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { FileScanner, parseLine, readLines, type LineFormat } from '@sluice/batch-formats';

const { values: args } = parseArgs({
  options: {
    lines: { type: 'string', default: '1000000' },
    format: { type: 'string', default: 'sluice' },
    phase: { type: 'string' },
    file: { type: 'string' },
  },
});
const LINES = Number(args.lines);
const FORMAT = args.format as LineFormat;
const MB = 1024 * 1024;
const rssMb = () => Math.round(process.memoryUsage.rss() / MB);
const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
/** Live heap after a full collection (the phases run with --expose-gc): what is really retained. */
const liveHeapMb = () => {
  (globalThis as { gc?: () => void }).gc?.();
  return Math.round(process.memoryUsage().heapUsed / MB);
};

const WORDS = 'the quick brown fox jumps over a lazy dog while seven wizards quietly judge boxing matches'.split(' ');
function prompt(i: number): string {
  const words: string[] = [];
  for (let w = 0; words.join(' ').length < 80; w++) words.push(WORDS[(i * 7 + w * 13) % WORDS.length]);
  return `${words.join(' ')} #${i}`;
}

function line(i: number): string {
  const key = `object-${i}`;
  if (FORMAT === 'openai') {
    return JSON.stringify({
      custom_id: key,
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'openai:gpt-4o', messages: [{ role: 'user', content: prompt(i) }], max_tokens: 256 },
    });
  }
  return JSON.stringify({
    key,
    request: { contents: [{ parts: [{ text: prompt(i) }] }], generation_config: { temperature: 0.7, max_output_tokens: 256 }, model: 'deepseek:r1-32b' },
  });
}

async function generate(file: string): Promise<void> {
  const out = createWriteStream(file);
  let batch = '';
  for (let i = 1; i <= LINES; i++) {
    batch += `${line(i)}\n`;
    if (i % 1_000 === 0 || i === LINES) {
      if (!out.write(batch)) await once(out, 'drain');
      batch = '';
    }
  }
  out.end();
  await once(out, 'finish');
}

async function scanPhase(file: string) {
  const baseline = rssMb();
  const heapBefore = liveHeapMb();
  const started = performance.now();
  const scanner = new FileScanner();
  for await (const chunk of createReadStream(file)) scanner.write(chunk as Buffer);
  const seconds = (performance.now() - started) / 1000;
  const rssWithKeys = rssMb();
  const keysHeapMb = liveHeapMb() - heapBefore;
  const scan = scanner.end();
  if (scan.items !== LINES || scan.duplicate || scan.format !== FORMAT) throw new Error(`wrong scan: ${JSON.stringify(scan)}`);
  return { linesPerSec: Math.round(LINES / seconds), seconds: round(seconds), baselineRssMb: baseline, rssWithKeysMb: rssWithKeys, keysHeapMb, peakRssMb: peakRssMb() };
}

async function readParsePhase(file: string) {
  const baseline = rssMb();
  const started = performance.now();
  let ok = 0;
  let rssAtTenth = 0;
  let heapAtTenth = 0;
  for await (const read of readLines(createReadStream(file))) {
    const parsed = parseLine(read.text, read.lineNo, FORMAT);
    if (parsed.ok) ok++;
    if (read.lineNo === Math.floor(LINES / 10)) {
      rssAtTenth = rssMb();
      heapAtTenth = liveHeapMb();
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const rssAtEnd = rssMb();
  if (ok !== LINES) throw new Error(`${LINES - ok} lines failed to parse`);
  return { linesPerSec: Math.round(LINES / seconds), seconds: round(seconds), baselineRssMb: baseline, rssAtTenthMb: rssAtTenth, rssAtEndMb: rssAtEnd, liveHeapAtTenthMb: heapAtTenth, liveHeapAtEndMb: liveHeapMb(), peakRssMb: peakRssMb() };
}

const round = (n: number) => Math.round(n * 100) / 100;

function inChild(phase: string, file: string): unknown {
  const argv = [...process.execArgv, '--expose-gc', __filename, '--phase', phase, '--file', file, '--lines', String(LINES), '--format', FORMAT];
  return JSON.parse(execFileSync(process.execPath, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
}

async function main() {
  if (args.phase && args.file) {
    const result = args.phase === 'scan' ? await scanPhase(args.file) : await readParsePhase(args.file);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'sluice-formats-bench-'));
  try {
    const file = join(dir, 'input.jsonl');
    await generate(file);
    const bytes = statSync(file).size;
    const scan = inChild('scan', file);
    const readParse = inChild('read-parse', file);
    console.log(JSON.stringify({ lines: LINES, format: FORMAT, fileMb: round(bytes / MB), bytesPerLine: Math.round(bytes / LINES), scan, readParse }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
