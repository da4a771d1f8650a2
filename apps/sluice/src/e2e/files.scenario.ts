import type { EmbeddedSluice } from '../embedded-host';
import { until } from './http';

/**
 * Files as a customer uses them, end to end through HTTP with all five services: upload
 * (multipart and raw), both line formats with bad lines, a `{file_id, sla}` task, the results as
 * a JSONL file. The same scenarios run on the embedded engine and on Kafka + PostgreSQL + S3.
 */
export interface FilesHarness {
  sluice: EmbeddedSluice;
  adminKey: string;
  /** The upload limit the engine was started with (SLUICE_MAX_UPLOAD_BYTES). */
  maxUploadBytes: number;
}

interface FileBody {
  file_id: string;
  file_name: string;
  bytes: number;
  mime_type: string;
  sha256: string;
  items: number;
  format: string | null;
  error?: { code: string; message: string };
}

interface JsonlTaskBody {
  status: string;
  task_id: string;
  total_items: number;
  completed_items: number;
  failed_items: number;
  output_url?: string;
  error?: { code: string; message: string };
}

interface TaskBody {
  status: string;
  task_id: string;
  total_items: number;
  objects: Array<{ object_id: string; key?: string; status: string; error?: { code: string; message: string }; output?: { text: string } }>;
}

export const seedLine = (key: string, text: string, model = 'qwen-7b') =>
  JSON.stringify({ key, request: { contents: [{ parts: [{ text }] }], generation_config: { temperature: 0.7 }, model } });
export const openaiLine = (customId: string, content: string, model = 'llama-3.1-8b') =>
  JSON.stringify({ custom_id: customId, method: 'POST', url: '/v1/chat/completions', body: { model, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content }], max_tokens: 64 } });

/** A seed-format file with three bad lines among good ones (and a blank line, which is no item); a line whose key cannot be read is keyed `line-<n>`. */
export const SEED_FILE = [
  seedLine('object-1', 'Describe the process of photosynthesis.', 'deepseek:r1-32b'),
  seedLine('object-2', 'What are the main ingredients in a Margherita pizza?', 'openai:gpt-4o'),
  '{"key": "broken", "request": {',
  seedLine('object-4', 'Hello?', 'no-such-model'),
  '',
  JSON.stringify({ key: 'object-6', request: { contents: [{ parts: [{}] }], model: 'qwen-7b' } }),
  seedLine('object-7', 'Name three prime numbers.'),
].join('\n');

export function filesScenarios(start: () => Promise<FilesHarness>, stop: (h: FilesHarness) => Promise<void>) {
  let h: FilesHarness;
  let base: string;

  async function call<T>(method: string, path: string, key: string, body?: string | FormData, headers: Record<string, string> = {}) {
    const res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${key}`, ...headers }, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // a download is JSONL, not JSON
    }
    return { status: res.status, body: parsed as T, text };
  }
  const postJson = <T>(path: string, key: string, body: unknown, headers: Record<string, string> = {}) =>
    call<T>('POST', path, key, JSON.stringify(body), { 'content-type': 'application/json', ...headers });

  async function openAccount(name: string, creditUsd: number): Promise<string> {
    const created = await postJson<{ api_key: string }>('/v0/admin/accounts', h.adminKey, { name, credit_usd: creditUsd });
    expect(created.status).toBe(201);
    const key = created.body.api_key;
    await until('the credit to reach the wallet', async () => ((await call<{ current_balance_usd: number }>('GET', '/v1/balance', key)).body.current_balance_usd > 0 ? true : undefined), 30_000);
    return key;
  }

  async function uploadMultipart(key: string, name: string, content: string) {
    const form = new FormData();
    form.append('file', new Blob([content]), name);
    return call<FileBody>('PUT', `/v0/files/${name}`, key, form);
  }


  let alice: string;
  let bob: string;

  beforeAll(async () => {
    h = await start();
    base = h.sluice.url;
    alice = await openAccount('files-alice', 50);
    bob = await openAccount('files-bob', 1);
  });
  afterAll(async () => {
    if (h) await stop(h);
  });

  it('uploads a file as the seed does (multipart), shows its metadata and content to its owner only', async () => {
    const up = await uploadMultipart(alice, 'mydata.jsonl', SEED_FILE);
    expect(up.status).toBe(200);
    expect(up.body).toMatchObject({ file_name: 'mydata.jsonl', bytes: Buffer.byteLength(SEED_FILE), mime_type: 'application/jsonl', items: 6, format: 'sluice' });
    expect(up.body.sha256).toMatch(/^[0-9a-f]{64}$/);
    const meta = await call<FileBody>('GET', `/v0/files/${up.body.file_id}`, alice);
    expect(meta.body).toMatchObject({ file_id: up.body.file_id, bytes: up.body.bytes, sha256: up.body.sha256 });
    const content = await call('GET', `/v0/files/${up.body.file_id}/content`, alice);
    expect(content.status).toBe(200);
    expect(content.text).toBe(SEED_FILE);
    expect((await call('GET', `/v0/files/${up.body.file_id}`, bob)).status).toBe(404);
    expect((await call('GET', `/v0/files/${up.body.file_id}/content`, bob)).status).toBe(404);
  });

  it('runs a seed-format file with bad lines: the good lines complete, each bad one fails with its line and reason, results as JSONL in input order', async () => {
    const up = await uploadMultipart(alice, 'mixed.jsonl', SEED_FILE);
    const submitted = await postJson<JsonlTaskBody>('/v0/infer/', alice, [{ file_id: up.body.file_id, sla: null }], { 'output-format': 'jsonl' });
    expect(submitted.status).toBe(200);
    expect(submitted.body.total_items).toBe(6);
    const task = await until('the output file', async () => {
      const t = await call<JsonlTaskBody>('GET', `/v0/infer/task/${submitted.body.task_id}`, alice);
      return t.body.output_url ? t.body : undefined;
    }, 120_000);
    expect(task).toMatchObject({ status: 'completed', total_items: 6, completed_items: 3, failed_items: 3 });
    const url = new URL(task.output_url!);
    const output = await call('GET', url.pathname, alice);
    expect(output.status).toBe(200);
    const lines = output.text.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.key)).toEqual(['object-1', 'object-2', 'line-3', 'object-4', 'object-6', 'object-7']);
    for (const i of [0, 1, 5]) expect(lines[i]).toEqual({ key: lines[i].key, output: { type: 'text', text: expect.stringMatching(/\S/) } });
    expect(lines[2].error).toMatchObject({ code: 'invalid_json', message: expect.stringContaining('line 3') });
    expect(lines[3].error).toMatchObject({ code: 'unknown_model', message: expect.stringContaining('line 4') });
    expect(lines[4].error).toMatchObject({ code: 'invalid_line', message: expect.stringMatching(/line 6: .*text/) });
    expect((await call('GET', url.pathname, bob)).status).toBe(404);
  });

  it('completes a file whose lines hold a NUL or a lone surrogate: those lines fail with unstorable_text, the others run', async () => {
    const file = [
      seedLine('fine', 'Name a lake.'),
      seedLine('nul', 'nul \u0000 here'),
      seedLine('half\ud800', 'a lone surrogate in the key'),
      seedLine('model', 'x', 'qwen\u0000'),
      '\u0000{}',
    ].join('\n');
    const up = await call<FileBody>('PUT', '/v0/files/unstorable.jsonl', alice, file, { 'content-type': 'application/jsonl' });
    expect(up.status).toBe(200);
    const submitted = await postJson<{ task_id: string }>('/v0/infer/', alice, [{ file_id: up.body.file_id, sla: 60 }]);
    const task = await until('the task to complete', async () => {
      const t = await call<TaskBody>('GET', `/v0/infer/task/${submitted.body.task_id}`, alice);
      return t.body.status === 'completed' && t.body.objects.length === 5 ? t.body : undefined;
    }, 120_000);
    expect(task.objects.map((o) => o.status)).toEqual(['completed', 'failed', 'failed', 'failed', 'failed']);
    expect(task.objects[1].error).toMatchObject({ code: 'unstorable_text', message: expect.stringMatching(/^line 2: request\.contents\[0\]\.parts\[0\]\.text holds a character that cannot be stored/) });
    expect(task.objects[2].error).toMatchObject({ code: 'unstorable_text', message: expect.stringMatching(/^line 3: key /) });
    expect(task.objects[3].error).toMatchObject({ code: 'unstorable_text', message: expect.stringMatching(/^line 4: request\.model /) });
    expect(task.objects[4].error).toMatchObject({ code: 'invalid_json', message: expect.stringContaining('line 5') });
  });

  it('runs an OpenAI Batch file uploaded as a raw body, with an SLA, and shows each object with its custom_id', async () => {
    const file = [openaiLine('req-1', 'Name a colour.'), openaiLine('req-2', 'Name a fruit.'), JSON.stringify({ custom_id: 'req-3', method: 'GET', url: '/v1/chat/completions', body: {} })].join('\n') + '\n';
    const up = await call<FileBody>('PUT', '/v0/files/batch.jsonl', alice, file, { 'content-type': 'application/octet-stream' });
    expect(up.status).toBe(200);
    expect(up.body).toMatchObject({ items: 3, format: 'openai' });
    const submitted = await postJson<{ task_id: string; total_items: number; status: string }>('/v0/infer/', alice, [{ file_id: up.body.file_id, sla: 60 }]);
    expect(submitted.body).toMatchObject({ status: 'submitted', total_items: 3 });
    const task = await until('the task to complete', async () => {
      const t = await call<TaskBody>('GET', `/v0/infer/task/${submitted.body.task_id}`, alice);
      return t.body.status === 'completed' && t.body.objects.length === 3 ? t.body : undefined;
    }, 120_000);
    expect(task.objects.map((o) => [o.key, o.status])).toEqual([['req-1', 'completed'], ['req-2', 'completed'], ['req-3', 'failed']]);
    expect(task.objects[2].error).toMatchObject({ code: 'invalid_line', message: expect.stringContaining('line 3') });
  });

  it('answers inline items without an SLA and Output-Format: jsonl with the output_url at once, keyed by object id', async () => {
    const items = [{ model: 'qwen-7b', input: 'Name a river.' }, { model: 'llama-3.1-8b', input: 'Name a mountain.' }];
    const answered = await postJson<JsonlTaskBody & { objects?: unknown }>('/v0/infer/', alice, items, { 'output-format': 'jsonl' });
    expect(answered.status).toBe(200);
    expect(answered.body).toMatchObject({ status: 'completed', total_items: 2, completed_items: 2, output_url: expect.stringContaining('/content') });
    expect(answered.body.objects).toBeUndefined();
    const lines = (await call('GET', new URL(answered.body.output_url!).pathname, alice)).text.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toEqual({ key: expect.stringMatching(/^[0-9a-f-]{36}$/), output: { type: 'text', text: expect.stringMatching(/\S/) } });
  });

  it('refuses a file over the size limit (413 file_too_large), one with a duplicate key, and another account\'s file_id', async () => {
    const big = `${seedLine('k', 'x'.repeat(h.maxUploadBytes))}\n`;
    // A raw body is refused on its Content-Length; a multipart one while it streams.
    for (const tooLarge of [
      await call<FileBody>('PUT', '/v0/files/big.jsonl', alice, big, { 'content-type': 'application/octet-stream' }),
      await uploadMultipart(alice, 'big.jsonl', big),
    ]) {
      expect(tooLarge.status).toBe(413);
      expect(tooLarge.body.error?.code).toBe('file_too_large');
    }

    const dup = await uploadMultipart(alice, 'dup.jsonl', [seedLine('a', 'one'), seedLine('b', 'two'), seedLine('a', 'three')].join('\n'));
    expect(dup.status).toBe(422);
    expect(dup.body.error).toMatchObject({ code: 'duplicate_key', message: expect.stringMatching(/"a".*lines 1 and 3/) });

    const bobs = await uploadMultipart(bob, 'bob.jsonl', seedLine('k', 'hello'));
    const stolen = await postJson<{ error: { code: string } }>('/v0/infer/', alice, [{ file_id: bobs.body.file_id, sla: 60 }]);
    expect(stolen.status).toBe(404);
  });

  it("refuses a file task whose lines are more than the model's providers' limits allow in its window (422 sla_capacity_exceeded), counted at upload", async () => {
    // gemini-direct alone serves gemini-flash (1,000,000 tpm; batch API in 10 minutes): about 24 lines of 65,000 output tokens fit in 2 minutes.
    const line = (i: number) => JSON.stringify({ key: `k${i}`, request: { contents: [{ parts: [{ text: 'hi' }] }], generation_config: { max_output_tokens: 65_000 }, model: 'gemini-flash' } });
    const up = await uploadMultipart(alice, 'volume.jsonl', Array.from({ length: 25 }, (_, i) => line(i)).join('\n'));
    expect(up.status).toBe(200);
    const tasksBefore = (await call<{ tasks: unknown[] }>('GET', '/v0/infer/tasks?limit=100', alice)).body.tasks.length;
    const refused = await postJson<{ error: { type: string; code: string; message: string } }>('/v0/infer/', alice, [{ file_id: up.body.file_id, sla: 2 }]);
    expect(refused.status).toBe(422);
    expect(refused.body.error).toEqual({
      type: 'invalid_request_error',
      code: 'sla_capacity_exceeded',
      message: "google:gemini-2.5-flash: 25 requests in 2 minutes exceed what its providers' rate limits allow (about 24 in that window); choose a longer sla",
    });
    expect((await call<{ tasks: unknown[] }>('GET', '/v0/infer/tasks?limit=100', alice)).body.tasks).toHaveLength(tasksBefore);
  });
}
