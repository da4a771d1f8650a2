import { existsSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Command, InvalidArgumentError } from 'commander';
import { ApiError } from './admin-client';
import { configPath, resolveConnection, writeConfig } from './client-config';
import { FINISHED, SluiceClient, type TaskCounts, type TaskView } from './customer-client';
import { downloadBar, humanBytes, taskBar, uploadBar, usd } from './progress';

type Env = Record<string, string | undefined>;
interface GlobalOptions {
  url?: string;
  apiKey?: string;
  json?: boolean;
  progress: boolean;
}
export interface Io {
  out: (line: string) => void;
  /** Notes for a person (stderr): never mixed with `--json` output. */
  note: (line: string) => void;
}

const positiveInt = (what: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected ${what}`);
  return n;
};
const slaMinutes = (value: string) => (value === 'none' ? null : positiveInt('a whole number of minutes, or "none"')(value));

const ended = (c: TaskCounts | undefined) => (c ? c.completed + c.failed : 0);
const countsLine = (c: TaskCounts | undefined) =>
  c ? `completed ${c.completed}, failed ${c.failed}, running ${c.running}, queued ${c.queued}, submitted ${c.submitted}` : '';
const table = (rows: string[][]) => {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd());
};

/** The customer's commands (their API key): login, submit, tasks, status, download, cancel, balance, usage. */
export function addCustomerCommands(program: Command, io: Io, env: Env): void {
  const opts = () => program.opts<GlobalOptions>();
  const emit = (json: unknown, human: () => string[]) => {
    if (opts().json) io.out(JSON.stringify(json, null, 2));
    else for (const line of human()) io.out(line);
  };
  const client = () => {
    const { url, key } = resolveConnection(opts(), env);
    if (!key) throw new ApiError(0, 'not_logged_in', `no API key: run \`sluice login\`, or set SLUICE_API_KEY (config: ${configPath(env)})`);
    return new SluiceClient(url, key);
  };

  /** The task's start on Sluice's clock, from the newest tasks, to ask usage what was spent since; null until listed. */
  async function taskStart(c: SluiceClient, taskId: string): Promise<string | null> {
    const page = await c.tasks({ limit: 100 });
    return page.tasks.find((t) => t.task_id === taskId)?.created_at || null;
  }

  async function wait(c: SluiceClient, taskId: string, intervalMs: number): Promise<{ task: TaskView; cost_usd: number | null }> {
    let task = await c.task(taskId, { limit: 1 });
    const bar = taskBar(opts().progress, task.total_items);
    let start: string | null = null;
    let cost: number | null = null;
    let lastNote = 0;
    const onInterrupt = () => {
      bar.stop();
      io.note(`\nstopped waiting; the task goes on: sluice status ${taskId}`);
      process.exit(130);
    };
    process.once('SIGINT', onInterrupt);
    try {
      for (;;) {
        start ??= await taskStart(c, taskId);
        if (start) cost = (await c.usage({ start_time: start })).total.cost_usd;
        const done = ended(task.counts);
        bar.update(done, { status: task.status, failed: task.counts?.failed ?? 0, cost: cost === null ? '…' : usd(cost) });
        if (!process.stderr.isTTY && !opts().json && Date.now() - lastNote > 10_000) {
          lastNote = Date.now();
          io.note(`${task.status}: ${done}/${task.total_items} objects ended (${countsLine(task.counts)})${cost === null ? '' : `, cost so far ${usd(cost)}`}`);
        }
        if (FINISHED.has(task.status)) break;
        await sleep(intervalMs);
        task = await c.task(taskId, { limit: 1 });
      }
    } finally {
      bar.stop();
      process.removeListener('SIGINT', onInterrupt);
    }
    return { task, cost_usd: cost };
  }

  async function download(c: SluiceClient, task: TaskView, dest: string) {
    let bar: ReturnType<typeof downloadBar> | null = null;
    const result = await c.download(task, dest, (n, total) => {
      bar ??= downloadBar(opts().progress && dest !== '-', total);
      bar.update(n);
    });
    (bar as ReturnType<typeof downloadBar> | null)?.stop();
    return result;
  }

  program
    .command('login')
    .description('save the base URL (--url) and an API key for the commands below (the key from --key, SLUICE_API_KEY or standard input)')
    .option('--key <api-key>', 'the API key (sk_live_…)')
    .action(async (o: { key?: string }) => {
      const { url } = resolveConnection(opts(), env);
      let key = o.key ?? opts().apiKey ?? env.SLUICE_API_KEY;
      if (!key) {
        const rl = createInterface({ input: process.stdin, output: process.stdin.isTTY ? process.stderr : undefined, terminal: process.stdin.isTTY });
        key = (await rl.question(process.stdin.isTTY ? 'API key: ' : '')).trim();
        rl.close();
      }
      if (!key) throw new ApiError(0, 'missing_key', 'no API key given');
      const balance = await new SluiceClient(url, key).balance();
      const file = writeConfig(env, { url, key });
      emit({ url, config: file, current_balance_usd: balance.current_balance_usd }, () => [
        `Logged in to ${url} with ${key!.slice(0, 12)}… (balance ${usd(balance.current_balance_usd)}); saved to ${file}`,
      ]);
    });

  program
    .command('submit')
    .description('upload a JSONL file and run its lines as one task; --wait follows it to the end')
    .argument('<file>', 'JSONL: seed {"key","request"} or OpenAI Batch lines')
    .option('--sla <minutes>', 'time window for every line, in minutes ("none": run at once)', slaMinutes, 1440)
    .option('--model <model>', 'model for the lines that name none')
    .option('--name <name>', 'file name on Sluice (default: the file\'s own)')
    .option('--wait', 'wait for the task to end, showing objects done, ETA and cost so far')
    .option('-o, --output <file>', 'with --wait: download the results there')
    .option('--interval <seconds>', 'with --wait: seconds between polls', positiveInt('seconds'), 2)
    .action(async (file: string, o: { sla: number | null; model?: string; name?: string; wait?: boolean; output?: string; interval: number }) => {
      if (!existsSync(file)) throw new ApiError(0, 'no_such_file', `no such file: ${file}`);
      const c = client();
      const started = Date.now();
      const bar = uploadBar(opts().progress, statSync(file).size);
      let uploaded;
      try {
        uploaded = await c.upload(file, { name: o.name, model: o.model, onBytes: (n) => bar.update(n) });
      } finally {
        bar.stop();
      }
      const task = await c.submitFile(uploaded.file_id, o.sla);
      const acceptedMs = Date.now() - started;
      if (!o.wait) {
        emit({ file: uploaded, task, accepted_ms: acceptedMs }, () => [
          `Uploaded ${uploaded.file_name}: ${uploaded.items} lines, ${humanBytes(uploaded.bytes)} (file ${uploaded.file_id})`,
          `Task ${task.task_id} ${task.status}: ${task.total_items} objects, SLA ${o.sla === null ? 'none' : `${o.sla} min`} (${(acceptedMs / 1000).toFixed(1)} s)`,
          `Follow it: sluice status ${task.task_id}`,
        ]);
        return;
      }
      io.note(`Task ${task.task_id} accepted: ${task.total_items} objects from ${uploaded.file_name} (${(acceptedMs / 1000).toFixed(1)} s)`);
      const { task: final, cost_usd } = await wait(c, task.task_id, o.interval * 1000);
      const saved = o.output && final.status !== 'cancelled' ? await download(c, final, o.output) : null;
      emit({ file: uploaded, task: final, cost_usd, output: saved ? { path: o.output, ...saved } : null }, () => [
        `Task ${final.task_id} ${final.status}: ${countsLine(final.counts)}${cost_usd === null ? '' : `; cost ${usd(cost_usd)}`}`,
        ...(saved ? [`Results: ${o.output} (${humanBytes(saved.bytes)})`] : final.output_url ? [`Results: sluice download ${final.task_id} -o out.jsonl`] : []),
      ]);
      if (final.status === 'failed') process.exitCode = 1;
    });

  program
    .command('tasks')
    .description('your tasks, newest first')
    .option('--limit <n>', 'how many (≤ 1000)', positiveInt('a count'), 20)
    .option('--status <status>', 'only tasks in this status')
    .option('--after <cursor>', "the previous page's next")
    .action(async (o: { limit: number; status?: string; after?: string }) => {
      const page = await client().tasks(o);
      emit(page, () => [
        ...table([
          ['TASK', 'STATUS', 'ENDED/TOTAL', 'FAILED', 'OUTPUT', 'CREATED'],
          ...page.tasks.map((t) => [t.task_id, t.status, `${ended(t.counts)}/${t.total_items}`, String(t.counts.failed), t.output_format, t.created_at]),
        ]),
        ...(page.has_more ? [`more: sluice tasks --after ${page.next}`] : []),
      ]);
    });

  program
    .command('status')
    .description("a task's status and counts")
    .argument('<task-id>')
    .action(async (taskId: string) => {
      const task = await client().task(taskId, { limit: 1 });
      const { objects: _objects, has_more: _more, next: _next, ...view } = task;
      emit(view, () => [
        `task     ${task.task_id}`,
        `status   ${task.status}`,
        `objects  ${ended(task.counts)}/${task.total_items} ended: ${countsLine(task.counts)}`,
        ...(task.output_url ? [`output   ${task.output_url}  (sluice download ${task.task_id} -o out.jsonl)`] : []),
      ]);
    });

  program
    .command('download')
    .description("save a task's results as JSONL (its output file, or its objects for an inline task)")
    .argument('<task-id>')
    .requiredOption('-o, --output <file>', 'where to write ("-": standard output)')
    .action(async (taskId: string, o: { output: string }) => {
      const c = client();
      const task = await c.task(taskId, { limit: 1 });
      if (!task.output_url && !task.objects) throw new ApiError(0, 'not_ready', `task ${taskId} is ${task.status}: its results file is not written yet`);
      const saved = await download(c, task, o.output);
      if (o.output === '-') return;
      emit({ task_id: taskId, path: o.output, ...saved }, () => [`Saved ${o.output}: ${humanBytes(saved.bytes)}${saved.lines === null ? '' : `, ${saved.lines} lines`}`]);
    });

  program
    .command('cancel')
    .description('cancel a task: objects not dispatched yet end (batch_cancelled) and their funds go back')
    .argument('<task-id>')
    .action(async (taskId: string) => {
      const task = await client().cancel(taskId);
      const { objects: _objects, has_more: _more, next: _next, ...view } = task;
      emit(view, () => [`Task ${task.task_id} ${task.status}: ${countsLine(task.counts)}`]);
    });

  program
    .command('balance')
    .description("your wallet's available balance")
    .action(async () => {
      const balance = await client().balance();
      emit(balance, () => [usd(balance.current_balance_usd)]);
    });

  program
    .command('usage')
    .description('what your requests used, by model or day (default: the last 30 days)')
    .option('--start <time>', 'from (ISO 8601 or Unix seconds)')
    .option('--end <time>', 'until (ISO 8601 or Unix seconds)')
    .option('--group-by <model|day>', 'model or day', 'model')
    .action(async (o: { start?: string; end?: string; groupBy: string }) => {
      const report = await client().usage({ start_time: o.start, end_time: o.end, group_by: o.groupBy });
      const row = (name: string, r: UsageReportRow) => [name, String(r.requests), String(r.input_tokens), String(r.output_tokens), usd(r.cost_usd)];
      emit(report, () => [
        `${report.start_time} – ${report.end_time}`,
        ...table([
          [report.group_by === 'day' ? 'DAY' : 'MODEL', 'REQUESTS', 'INPUT', 'OUTPUT', 'COST'],
          ...report.data.map((r) => row((report.group_by === 'day' ? r.day : r.model) ?? '', r)),
          row('total', report.total),
        ]),
      ]);
    });
}
type UsageReportRow = { requests: number; input_tokens: number; output_tokens: number; cost_usd: number };
