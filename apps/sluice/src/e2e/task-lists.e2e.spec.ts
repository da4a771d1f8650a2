import { loadCatalogue } from '@sluice/catalogue';
import { quotedChargeMicros } from './exchange.scenario';
import { until } from './http';
import { LEDGER_CHECK, REBUILD, runOperatorCommand } from './operator-commands';
import { startEmbeddedForTest, type TestEngine } from './test-engine';

jest.setTimeout(240_000);

const ADMIN_KEY = 'sk_admin_e2e_task_lists_0123456789';
const CREDIT_USD = 20;
const catalogue = loadCatalogue();
const modelId = (name: string) => catalogue.models.find((m) => m.id === name || m.aliases.includes(name))!.id;

interface Counts {
  submitted: number;
  queued: number;
  running: number;
  completed: number;
  failed: number;
}
interface TaskObject {
  object_id: string;
  key?: string;
  status: string;
  usage: { input_tokens: number; price_factor: number; output_tokens?: number };
  error?: { code: string; message: string };
}
interface TaskBody {
  status: string;
  task_id: string;
  total_items: number;
  counts: Counts;
  objects: TaskObject[];
  has_more: boolean;
  next: string | null;
}
interface TaskSummary {
  task_id: string;
  status: string;
  total_items: number;
  counts: Counts;
  created_at: string;
}
interface TaskList {
  tasks: TaskSummary[];
  has_more: boolean;
  next: string | null;
}
interface FileBody {
  file_id: string;
  file_name: string;
}

/**
 * The `/v0` lists and cancel on the embedded engine. The clock starts at 01:00 UTC and runs 600×
 * faster: gpt-4o-mini items with a day's SLA wait for the off-peak window at 16:30 (93 s of real
 * time), which leaves time to cancel them while the no-SLA items have run.
 */
describe('/v0 tasks and files: lists, pages and cancel (embedded)', () => {
  let engine: TestEngine;
  let base: string;

  async function call<T>(method: string, path: string, key: string, body?: unknown) {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : typeof body === 'string' ? { 'content-type': 'application/octet-stream' } : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as T };
  }

  async function openAccount(name: string): Promise<string> {
    const created = await call<{ api_key: string }>('POST', '/v0/admin/accounts', ADMIN_KEY, { name, credit_usd: CREDIT_USD });
    expect(created.status).toBe(201);
    const key = created.body.api_key;
    await until('the credit to reach the wallet', async () => ((await balanceMicros(key)) > 0 ? true : undefined), 30_000);
    return key;
  }
  const balanceMicros = async (key: string) => Math.round((await call<{ current_balance_usd: number }>('GET', '/v1/balance', key)).body.current_balance_usd * 1_000_000);

  beforeAll(async () => {
    engine = await startEmbeddedForTest({ name: 'task-lists', adminKey: ADMIN_KEY, env: { SLUICE_TIME_SCALE: '600', SLUICE_CLOCK_ORIGIN: '2030-01-01T01:00:00.000Z' } });
    base = engine.sluice.url;
  });
  afterAll(async () => {
    await engine?.stop();
  });

  it('lists tasks newest first with a cursor, filtered by status and created_after', async () => {
    const key = await openAccount('lists');
    const ids: string[] = [];
    for (const item of [{ model: 'qwen-7b', input: 'One.' }, { sla: 1440, model: 'gpt-4o-mini', input: 'Two.' }, { model: 'qwen-7b', input: 'Three.' }]) {
      const submitted = await call<TaskBody>('POST', '/v0/infer/', key, [item]);
      expect(submitted.status).toBe(200);
      ids.push(submitted.body.task_id);
    }
    const first = await call<TaskList>('GET', '/v0/infer/tasks?limit=2', key);
    expect(first.body.tasks.map((t) => t.task_id)).toEqual([ids[2], ids[1]]);
    expect(first.body).toMatchObject({ has_more: true, next: ids[1] });
    const second = await call<TaskList>('GET', `/v0/infer/tasks?limit=2&after=${first.body.next}`, key);
    expect(second.body).toEqual({ tasks: [expect.objectContaining({ task_id: ids[0], total_items: 1 })], has_more: false, next: null });

    const completed = await until('the no-SLA tasks to complete', async () => {
      const list = await call<TaskList>('GET', '/v0/infer/tasks?status=completed', key);
      return list.body.tasks.length === 2 ? list.body : undefined;
    }, 60_000);
    expect(completed.tasks.map((t) => t.task_id)).toEqual([ids[2], ids[0]]);
    expect(completed.tasks[0].counts).toEqual({ submitted: 0, queued: 0, running: 0, completed: 1, failed: 0 });
    const waiting = await call<TaskList>('GET', '/v0/infer/tasks?status=queued', key);
    expect(waiting.body.tasks.map((t) => [t.task_id, t.counts.queued])).toEqual([[ids[1], 1]]);

    const after = first.body.tasks[1].created_at;
    expect((await call<TaskList>('GET', `/v0/infer/tasks?created_after=${encodeURIComponent(after)}`, key)).body.tasks.map((t) => t.task_id)).toEqual([ids[2]]);

    // An offset ISO 8601 allows and PostgreSQL does not (past ±15:59) is read as the instant it names.
    const farOffset = await call<TaskList>('GET', `/v0/infer/tasks?created_after=${encodeURIComponent('2519-09-23T03:17:32+23:22')}`, key);
    expect([farOffset.status, farOffset.body.tasks]).toEqual([200, []]);
    expect((await call('GET', '/v0/infer/tasks?status=sleeping', key)).status).toBe(422);
    expect((await call('GET', '/v0/infer/tasks?limit=0', key)).status).toBe(422);
    const stranger = await openAccount('lists-stranger');
    expect((await call<TaskList>('GET', '/v0/infer/tasks', stranger)).body.tasks).toEqual([]);
    expect((await call('GET', `/v0/infer/tasks?after=${ids[1]}`, stranger)).status).toBe(404);
  });

  it("pages a task's objects while they are being projected: in item order, none twice, none that was there skipped", async () => {
    const key = await openAccount('pages');
    const lines = 3_000;
    const keyOf = (i: number) => `line-${String(i).padStart(5, '0')}`;
    const jsonl = Array.from({ length: lines }, (_, i) => JSON.stringify({ key: keyOf(i), request: { contents: [{ parts: [{ text: `Item ${i}` }] }], model: 'qwen-7b' } })).join('\n');
    const up = await call<FileBody>('PUT', '/v0/files/many.jsonl', key, jsonl);
    expect(up.status).toBe(200);
    const submitted = await call<{ task_id: string }>('POST', '/v0/infer/', key, [{ file_id: up.body.file_id, sla: 1440 }]);
    const taskId = submitted.body.task_id;

    // What one page shows at the start (the whole task so far, up to 1,000), then small pages as the expansion goes on.
    const start = await until('the first objects to be projected', async () => {
      const t = await call<TaskBody>('GET', `/v0/infer/task/${taskId}?limit=1000`, key);
      return t.body.objects.length > 0 ? t.body.objects.map((o) => o.object_id) : undefined;
    }, 60_000);
    const seen: TaskObject[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const page: { status: number; body: TaskBody } = await call<TaskBody>('GET', `/v0/infer/task/${taskId}?limit=40${after ? `&after=${after}` : ''}`, key);
      expect(page.status).toBe(200);
      expect(page.body.objects.length).toBeLessThanOrEqual(40);
      seen.push(...page.body.objects);
      pages++;
      if (page.body.has_more) after = page.body.next;
      else if (seen.length < lines) after = seen.length > 0 ? seen[seen.length - 1].object_id : null;
      else break;
      if (pages > 2_000) throw new Error('paging did not end');
    }
    const ids = seen.map((o) => o.object_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(seen.map((o) => o.key)).toEqual(Array.from({ length: lines }, (_, i) => keyOf(i)));
    for (const id of start) expect(ids).toContain(id);

    const counted = await call<TaskBody>('GET', `/v0/infer/task/${taskId}?limit=1`, key);
    expect(Object.values(counted.body.counts).reduce((a, b) => a + b, 0)).toBe(lines);
    expect(counted.body).toMatchObject({ total_items: lines, has_more: true });
    expect((await call('GET', `/v0/infer/task/${taskId}?limit=1001`, key)).status).toBe(422);
    expect((await call('GET', `/v0/infer/task/${taskId}?after=not-an-object`, key)).status).toBe(404);
  });

  it('cancels a task mid-way: the unstarted objects end and exactly their funds come back; what ran is kept and charged', async () => {
    const key = await openAccount('cancel');
    const items = [
      { model: 'qwen-7b', input: 'Say hello.' },
      { model: 'qwen-7b', input: 'Say goodbye.' },
      ...Array.from({ length: 5 }, (_, i) => ({ sla: 1440, model: 'gpt-4o-mini', input: `Write a haiku about the number ${i}.` })),
    ];
    const submitted = await call<TaskBody>('POST', '/v0/infer/', key, items);
    const taskId = submitted.body.task_id;
    const ran = await until('the no-SLA objects to complete', async () => {
      const t = await call<TaskBody>('GET', `/v0/infer/task/${taskId}`, key);
      return t.body.counts.completed === 2 ? t.body : undefined;
    }, 60_000);
    expect(ran.status).toBe('running');
    const chargeOf = (objects: TaskObject[]) =>
      objects
        .map((o, i) => (o.status === 'completed' ? quotedChargeMicros(modelId(items[i].model), o.usage.input_tokens, o.usage.output_tokens ?? 0, o.usage.price_factor) : 0))
        .reduce((a, b) => a + b, 0);
    const charged = chargeOf(ran.objects);
    // While the task runs, its unstarted objects hold funds.
    expect(await balanceMicros(key)).toBeLessThan(CREDIT_USD * 1_000_000 - charged);

    const cancelling = await call<TaskBody>('POST', `/v0/infer/task/${taskId}/cancel`, key);
    expect(cancelling.status).toBe(200);
    expect(['cancelling', 'cancelled']).toContain(cancelling.body.status);
    expect((await call<TaskBody>('POST', `/v0/infer/task/${taskId}/cancel`, key)).status).toBeLessThan(500);

    const cancelled = await until('the task to be cancelled', async () => {
      const t = await call<TaskBody>('GET', `/v0/infer/task/${taskId}`, key);
      return t.body.status === 'cancelled' ? t.body : undefined;
    }, 60_000);
    expect(cancelled.counts).toEqual({ submitted: 0, queued: 0, running: 0, completed: 2, failed: 5 });
    expect(cancelled.objects.map((o) => o.error?.code ?? o.status)).toEqual(['completed', 'completed', ...Array<string>(5).fill('batch_cancelled')]);

    // Money: once billing released the five, the wallet is the credit less what the two that ran cost, to the micro-dollar.
    await until('billing to release the unstarted objects', async () => ((await balanceMicros(key)) === CREDIT_USD * 1_000_000 - charged ? true : undefined), 30_000);
    const listed = await call<TaskList>('GET', '/v0/infer/tasks?status=cancelled', key);
    expect(listed.body.tasks).toEqual([expect.objectContaining({ task_id: taskId, counts: cancelled.counts })]);
    const again = await call<{ error: { code: string } }>('POST', `/v0/infer/task/${taskId}/cancel`, key);
    expect([again.status, again.body.error.code]).toEqual([409, 'task_not_cancellable']);
    const stranger = await openAccount('cancel-stranger');
    expect((await call('POST', `/v0/infer/task/${taskId}/cancel`, stranger)).status).toBe(404);
  });

  it('lists files newest first and deletes one: gone from GET and the list, not usable for a new task', async () => {
    const key = await openAccount('files');
    const line = JSON.stringify({ key: 'a', request: { contents: [{ parts: [{ text: 'Hi' }] }], model: 'qwen-7b' } });
    const ids: string[] = [];
    for (const name of ['one.jsonl', 'two.jsonl', 'three.jsonl']) ids.push((await call<FileBody>('PUT', `/v0/files/${name}`, key, `${line}\n`)).body.file_id);
    const first = await call<{ files: FileBody[]; has_more: boolean; next: string | null }>('GET', '/v0/files?limit=2', key);
    expect(first.body.files.map((f) => f.file_id)).toEqual([ids[2], ids[1]]);
    expect(first.body).toMatchObject({ has_more: true, next: ids[1] });
    expect((await call<{ files: FileBody[] }>('GET', `/v0/files?after=${ids[1]}`, key)).body.files.map((f) => f.file_id)).toEqual([ids[0]]);

    const stranger = await openAccount('files-stranger');
    expect((await call('DELETE', `/v0/files/${ids[1]}`, stranger)).status).toBe(404);
    expect(await call('DELETE', `/v0/files/${ids[1]}`, key)).toEqual({ status: 200, body: { file_id: ids[1], deleted: true } });
    expect((await call('GET', `/v0/files/${ids[1]}`, key)).status).toBe(404);
    expect((await call('GET', `/v0/files/${ids[1]}/content`, key)).status).toBe(404);
    expect((await call('DELETE', `/v0/files/${ids[1]}`, key)).status).toBe(404);
    expect((await call<{ files: FileBody[] }>('GET', '/v0/files', key)).body.files.map((f) => f.file_id)).toEqual([ids[2], ids[0]]);
    const refused = await call<{ error: { code: string } }>('POST', '/v0/infer/', key, [{ file_id: ids[1], sla: 60 }]);
    expect([refused.status, refused.body.error.code]).toEqual([404, 'not_found']);
    expect((await call('POST', '/v0/infer/', key, [{ file_id: ids[0], sla: 60 }])).status).toBe(200);
  });

  it('leaves books that balance and read models the log rebuilds, cancelled task included', async () => {
    await engine.sluice.stop();
    expect({
      ledger: await runOperatorCommand(LEDGER_CHECK, ['--data-dir', engine.dataDir]),
      rebuild: await runOperatorCommand(REBUILD, ['--data-dir', engine.dataDir]),
    }).toEqual({ ledger: 0, rebuild: 0 });
  });
});
