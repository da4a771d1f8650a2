/**
 * `sluice submit` of a large JSONL file (issue #25: 1,000,000 lines): the CLI as a customer runs
 * it (`apps/sluice/bin/sluice.cjs`, a child process under /usr/bin/time -v) against embedded Sluice
 * in this process. Reports the wall time from start to the task accepted (upload streamed from
 * disk + POST /v0/infer/), the CLI's own `accepted_ms`, and the CLI process's peak RSS.
 *
 * By default the bin runs the TypeScript sources (SLUICE_CLI_SOURCE=1, as on a clone without a
 * build); `--compiled` builds dist/ first (`npm run build`) so the bin runs the compiled CLI.
 *
 *   npm run bench:cli -- [--lines 1000000] [--compiled]
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { openAccount, round, runBenchmark, startExchange } from '../exchange/harness';
import { writeSeedFile } from '../files/jsonl-file';

const ROOT = join(__dirname, '..', '..');
const { values: args } = parseArgs({ options: { lines: { type: 'string', default: '1000000' }, compiled: { type: 'boolean', default: false } } });
const BIN = join(ROOT, 'apps', 'sluice', 'bin', 'sluice.cjs');

runBenchmark(async () => {
  const lines = Number(args.lines);
  if (args.compiled) execFileSync(process.execPath, [join(ROOT, 'tools', 'build.cjs')], { stdio: 'inherit' });
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-cli-'));
  const file = join(dir, 'big.jsonl');
  const bytes = await writeSeedFile(file, lines);
  const ex = await startExchange({ SLUICE_TIME_SCALE: '1' });
  try {
    const { key } = await openAccount(ex, 'bench-cli', 1_000_000);
    const env = { ...process.env, SLUICE_URL: ex.url, SLUICE_API_KEY: key, XDG_CONFIG_HOME: dir, SLUICE_CLI_SOURCE: args.compiled ? '0' : '1' };
    const started = performance.now();
    const { stdout, stderr } = await promisify(execFile)('/usr/bin/time', ['-v', process.execPath, BIN, '--json', 'submit', file, '--sla', '1440'], { env, maxBuffer: 1 << 24 });
    const wallMs = performance.now() - started;
    const answer = JSON.parse(stdout) as { file: { items: number }; task: { task_id: string; total_items: number }; accepted_ms: number };
    if (answer.task.total_items !== lines) throw new Error(`accepted ${answer.task.total_items} items of ${lines}`);
    const rssKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1]);
    const cpu = (name: string) => Number(new RegExp(`${name} time \\(seconds\\): ([\\d.]+)`).exec(stderr)?.[1]);
    console.log(
      JSON.stringify({
        bench: 'cli-submit',
        cli: args.compiled ? 'compiled' : 'sources',
        lines,
        file_mb: round(bytes / 2 ** 20),
        wall_to_accepted_s: round(wallMs / 1000, 2),
        cli_accepted_s: round(answer.accepted_ms / 1000, 2),
        upload_mb_per_s: round(bytes / 2 ** 20 / (answer.accepted_ms / 1000)),
        cli_peak_rss_mb: round(rssKb / 1024),
        cli_cpu_s: round(cpu('User') + cpu('System'), 2),
      }),
    );
  } finally {
    await ex.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
