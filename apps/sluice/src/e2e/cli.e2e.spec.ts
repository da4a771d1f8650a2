import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { until } from './http';
import { seedLine } from './files.scenario';
import { startEmbeddedForTest, type TestEngine } from './test-engine';

jest.setTimeout(15 * 60_000);

const run = promisify(execFile);
const ADMIN_KEY = 'sk_admin_e2e_cli_0123456789abcdef';
const BIN = join(__dirname, '..', '..', 'bin', 'sluice.cjs');
const BIG = 100_000;
const SMALL = 200;
const CANCEL = 10_000;
const MODELS = ['qwen-7b', 'llama-3.1-8b'];

const lines = (n: number, prefix: string, model?: string) => {
  let text = '';
  for (let i = 0; i < n; i++) {
    const line = JSON.parse(seedLine(`${prefix}-${i}`, `Question ${i}: name a prime number larger than ${i}.`, MODELS[i % MODELS.length])) as { request: { model?: string } };
    if (model === '') delete line.request.model;
    text += `${JSON.stringify(line)}\n`;
  }
  return text;
};

/**
 * The `sluice` bin as a customer runs it, a child process against the embedded engine: login,
 * submit (a 200-line file, then a 100,000-line one, each to the end with --wait and -o; a
 * 10,000-line one cancelled while it runs), tasks, status, download, cancel, balance, usage, in
 * --json and for people, and once in a pseudo-terminal (script(1)) where the progress bars render.
 */
describe('the sluice CLI against embedded Sluice', () => {
  let engine: TestEngine;
  let dir: string;
  let key: string;
  const env = () => {
    const e: Record<string, string | undefined> = { ...process.env, XDG_CONFIG_HOME: join(dir, 'config'), NO_COLOR: '1' };
    delete e.SLUICE_URL;
    delete e.SLUICE_API_KEY;
    return e as NodeJS.ProcessEnv;
  };
  const sluice = async (...args: string[]) => (await run(process.execPath, [BIN, ...args], { env: env(), cwd: dir, maxBuffer: 64 * 1024 * 1024 })).stdout;
  const sluiceJson = async <T>(...args: string[]) => JSON.parse(await sluice('--json', ...args)) as T;
  let smallTask: string;

  beforeAll(async () => {
    engine = await startEmbeddedForTest({ name: 'cli', adminKey: ADMIN_KEY, env: { SLUICE_TIME_SCALE: '600' } });
    dir = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
    const created = await fetch(`${engine.sluice.url}/v0/admin/accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'cli', credit_usd: 10_000 }),
    });
    key = ((await created.json()) as { api_key: string }).api_key;
    await until(
      'the credit to reach the wallet',
      async () => {
        const res = await fetch(`${engine.sluice.url}/v1/balance`, { headers: { authorization: `Bearer ${key}` } });
        return ((await res.json()) as { current_balance_usd: number }).current_balance_usd > 0 ? true : undefined;
      },
      60_000,
    );
    writeFileSync(join(dir, 'big.jsonl'), lines(BIG, 'big'));
    writeFileSync(join(dir, 'small.jsonl'), lines(SMALL, 'small'));
    writeFileSync(join(dir, 'cancel.jsonl'), lines(CANCEL, 'cancel'));
    writeFileSync(join(dir, 'nomodel.jsonl'), lines(20, 'tty', ''));
  });
  afterAll(async () => {
    await engine?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('login saves the URL and key (0600); later commands use them', async () => {
    const out = await sluice('--url', engine.sluice.url, 'login', '--key', key);
    expect(out).toMatch(/^Logged in to http:\/\/127\.0\.0\.1:\d+ with sk_/);
    const file = join(dir, 'config', 'sluice', 'config.json');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ url: engine.sluice.url, key });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await sluiceJson('balance')).toEqual({ object: 'balance', current_balance_usd: 10_000 });
    expect(await sluice('balance')).toBe('$10000.0000\n');
  });

  it('submit --wait runs a file to the end and -o saves one output line per input line, keys matching', async () => {
    const done = await sluiceJson<{ task: { task_id: string; status: string; counts: { completed: number; failed: number } }; cost_usd: number | null; output: { path: string } }>(
      'submit', 'small.jsonl', '--sla', '60', '--wait', '--interval', '1', '-o', 'out.jsonl',
    );
    smallTask = done.task.task_id;
    expect(done.task).toMatchObject({ status: 'completed', counts: { completed: SMALL, failed: 0 } });
    expect(done.cost_usd).toBeGreaterThan(0);
    const out = readFileSync(join(dir, 'out.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { key: string; output: { text: string } });
    expect(out.map((l) => l.key)).toEqual(Array.from({ length: SMALL }, (_, i) => `small-${i}`));
    expect(out.every((l) => l.output.text)).toBe(true);
  });

  it('status, tasks and download show the tasks, for people and as JSON', async () => {
    const status = await sluiceJson<{ task_id: string; status: string; output_url: string; total_items: number }>('status', smallTask);
    expect(status).toMatchObject({ task_id: smallTask, status: 'completed', total_items: SMALL });
    expect(status.output_url).toMatch(/\/v0\/files\/.+\/content$/);
    expect(await sluice('status', smallTask)).toMatch(new RegExp(`task +${smallTask}\\nstatus +completed\\nobjects +${SMALL}/${SMALL} ended`));

    const list = await sluiceJson<{ tasks: Array<{ task_id: string; status: string }> }>('tasks', '--limit', '10');
    expect(list.tasks[0]).toMatchObject({ task_id: smallTask, status: 'completed' });
    const table = await sluice('tasks');
    expect(table.split('\n')[0]).toMatch(/^TASK +STATUS +ENDED\/TOTAL/);
    expect(table).toContain(`${smallTask}  completed`);

    const saved = await sluiceJson<{ path: string; bytes: number }>('download', smallTask, '-o', 'again.jsonl');
    expect(readFileSync(join(dir, 'again.jsonl'), 'utf8')).toBe(readFileSync(join(dir, 'out.jsonl'), 'utf8'));
    expect(saved.bytes).toBe(statSync(join(dir, 'again.jsonl')).size);
    expect(existsSync(join(dir, 'again.jsonl.part'))).toBe(false);
    expect((await sluice('download', smallTask, '-o', '-')).split('\n')).toHaveLength(SMALL + 1);
  });

  it('usage sums what the task cost', async () => {
    const usage = await sluiceJson<{ total: { requests: number; cost_usd: number }; data: Array<{ model: string }> }>('usage');
    expect(usage.total.requests).toBeGreaterThanOrEqual(SMALL);
    expect(usage.total.cost_usd).toBeGreaterThan(0);
    expect(usage.data.map((d) => d.model).length).toBeGreaterThan(0);
    expect((await sluice('usage', '--group-by', 'day')).split('\n')[1]).toMatch(/^DAY +REQUESTS +INPUT +OUTPUT +COST/);
  });

  it('renders the progress bars in a pseudo-terminal (script -qc), and --model fills lines that name none', async () => {
    if (!existsSync('/usr/bin/script')) return;
    const command = `${process.execPath} ${BIN} submit nomodel.jsonl --model qwen-7b --sla 60 --wait --interval 1 -o tty.jsonl`;
    const { stdout } = await run('/usr/bin/script', ['-qec', command, '/dev/null'], { env: env(), cwd: dir, maxBuffer: 16 * 1024 * 1024 });
    expect(stdout).toMatch(/Uploading +\|[█░]+\| \d+%/);
    expect(stdout).toMatch(/Running +\|[█░]+\| 20\/20 objects \| completed \| failed 0 \| ETA .* \| cost \$/);
    expect(stdout).toMatch(/completed: completed 20, failed 0/);
    expect(readFileSync(join(dir, 'tty.jsonl'), 'utf8').trimEnd().split('\n')).toHaveLength(20);
  });

  it('submits a 100,000-line file from disk, follows it to the end with --wait and brings every result home with -o', async () => {
    const done = await sluiceJson<{ file: { items: number; bytes: number }; task: { task_id: string; status: string; total_items: number; counts: { completed: number; failed: number } }; output: { path: string; bytes: number } }>(
      'submit', 'big.jsonl', '--sla', '1440', '--wait', '--interval', '2', '-o', 'big.out.jsonl',
    );
    expect(done.file).toMatchObject({ items: BIG, bytes: statSync(join(dir, 'big.jsonl')).size });
    expect(done.task).toMatchObject({ status: 'completed', total_items: BIG, counts: { completed: BIG, failed: 0 } });
    expect(done.output.bytes).toBe(statSync(join(dir, 'big.out.jsonl')).size);
    const out = readFileSync(join(dir, 'big.out.jsonl'), 'utf8').trimEnd().split('\n');
    expect(out).toHaveLength(BIG);
    const wrong = out.findIndex((line, i) => {
      const parsed = JSON.parse(line) as { key: string; output?: { text?: string } };
      return parsed.key !== `big-${i}` || !parsed.output?.text;
    });
    expect(wrong).toBe(-1);
  }, 30 * 60_000);

  it('cancel ends a task that is still running', async () => {
    const submitted = await sluiceJson<{ task: { task_id: string; total_items: number } }>('submit', 'cancel.jsonl', '--sla', '1440');
    expect(submitted.task.total_items).toBe(CANCEL);
    const taskId = submitted.task.task_id;
    const cancelled = await sluiceJson<{ task_id: string; status: string }>('cancel', taskId);
    expect(cancelled.task_id).toBe(taskId);
    expect(['cancelling', 'cancelled']).toContain(cancelled.status);
    const list = await sluiceJson<{ tasks: Array<{ task_id: string }> }>('tasks', '--limit', '10');
    expect(list.tasks[0].task_id).toBe(taskId);
    expect(list.tasks.map((t) => t.task_id)).toContain(smallTask);
    await expect(sluice('cancel', 'no-such-task')).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/^error \(/) });
  });
});
