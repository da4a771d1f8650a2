import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createEvent, FileStored, ObjectAbandoned, ObjectCompleted, TaskSubmitted, Topics, type EventOf } from '@sluice/events';
import { startServiceHarness, type ServiceHarness } from '@sluice/testing';
import { EXPANSION_CHUNK_LINES } from './expansion/expansion.worker';
import { filesService } from './service';

jest.setTimeout(60_000);

const seed = (key: string, text: string, model = 'qwen-7b') => JSON.stringify({ key, request: { contents: [{ parts: [{ text }] }], model } });
const ctx = () => ({ correlationId: randomUUID() });

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

describe('the files service: expands a file task into objects and writes its results as JSONL', () => {
  let h: ServiceHarness;
  beforeAll(async () => {
    h = await startServiceHarness(filesService, { market: false });
  });
  afterAll(async () => {
    await h?.stop();
  });

  async function storeFile(accountId: string, content: string, items: number): Promise<string> {
    const fileId = randomUUID();
    const blobKey = `files/${accountId}/${fileId}`;
    const stored = await h.blobs.put(blobKey, content);
    await h.bus.publish(Topics.files, [
      createEvent(FileStored, { fileId, accountId, fileName: 'data.jsonl', bytes: stored.bytes, mimeType: 'application/jsonl', sha256: stored.sha256, blobKey, items, format: 'sluice' }, ctx()),
    ]);
    return fileId;
  }

  async function submitTask(accountId: string, fileId: string, totalItems: number, outputFormat: 'json' | 'jsonl') {
    const taskId = randomUUID();
    await h.bus.publish(Topics.tasks, [createEvent(TaskSubmitted, { taskId, accountId, totalItems, outputFormat, fileId, slaMinutes: 60 }, { correlationId: taskId })]);
    return taskId;
  }

  it('turns every line into ObjectSubmitted or ObjectRejected in line order, then writes the results in input order', async () => {
    const accountId = randomUUID();
    const content = [seed('a', 'first'), 'not json', '', seed('c', 'third'), seed('d', 'fourth', 'nope')].join('\r\n');
    const fileId = await storeFile(accountId, content, 4);
    const taskId = await submitTask(accountId, fileId, 4, 'jsonl');

    const expanded = await h.waitFor('FileExpanded', (e) => e.payload.taskId === taskId);
    expect(expanded.payload).toMatchObject({ fileId, submitted: 2, rejected: 2 });
    // Objects are keyed by id, so they spread over partitions: the recorder sees them in any order.
    const byIndex = <E extends { payload: { index: number } }>(events: E[]) => events.sort((x, y) => x.payload.index - y.payload.index);
    const submitted = byIndex(h.eventsOf('ObjectSubmitted').filter((e) => e.payload.taskId === taskId));
    const rejected = byIndex(h.eventsOf('ObjectRejected').filter((e) => e.payload.taskId === taskId));
    expect(submitted.map((e) => [e.payload.index, e.payload.itemKey])).toEqual([[0, 'a'], [2, 'c']]);
    expect(rejected.map((e) => [e.payload.index, e.payload.lineNo, e.payload.code])).toEqual([[1, 2, 'invalid_json'], [3, 5, 'unknown_model']]);

    // The results arrive in any order; the file keeps the input order.
    const [a, c] = submitted;
    await h.bus.publish(Topics.objects, [
      createEvent(ObjectAbandoned, { objectId: c.payload.objectId, accountId, attempts: 4, code: 'provider_unavailable', message: 'no provider answered' }, ctx()),
      createEvent(ObjectCompleted, { objectId: a.payload.objectId, accountId, attempt: 1, providerId: 'bargain', mode: 'live', inputTokens: 3, outputTokens: 5, output: { text: 'answer "a"\n' }, providerCostMicros: 1, latencyMs: 1 }, ctx()),
    ]);
    const ready: EventOf<'TaskOutputReady'> = await h.waitFor('TaskOutputReady', (e) => e.payload.taskId === taskId);
    const text = await readAll(await h.blobs.get(ready.payload.blobKey));
    expect(text.split('\n').slice(0, -1).map((l) => JSON.parse(l))).toEqual([
      { key: 'a', output: { type: 'text', text: 'answer "a"\n' } },
      { key: 'line-2', error: { code: 'invalid_json', message: expect.stringContaining('line 2') } },
      { key: 'c', error: { code: 'provider_unavailable', message: 'no provider answered' } },
      { key: 'd', error: { code: 'unknown_model', message: "line 5: unknown model 'nope'" } },
    ]);
    expect(ready.payload).toMatchObject({ lines: 4, bytes: Buffer.byteLength(text), sha256: createHash('sha256').update(text).digest('hex') });
  });

  it("writes an OpenAI batch's results as OpenAI's output file (successes) and error file (failures), each line with its custom_id", async () => {
    const accountId = randomUUID();
    const line = (customId: string, model = 'llama-3.1-8b') =>
      JSON.stringify({ custom_id: customId, method: 'POST', url: '/v1/chat/completions', body: { model, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 5 } });
    const content = [line('ok'), line('unknown', 'nope'), line('gave-up'), line('cut')].join('\n');
    const fileId = randomUUID();
    const blobKey = `files/${accountId}/${fileId}`;
    const stored = await h.blobs.put(blobKey, content);
    await h.bus.publish(Topics.files, [createEvent(FileStored, { fileId, accountId, fileName: 'b.jsonl', bytes: stored.bytes, mimeType: 'application/jsonl', sha256: stored.sha256, blobKey, items: 4, format: 'openai' }, ctx())]);
    const taskId = randomUUID();
    const openaiBatch = { endpoint: '/v1/chat/completions' as const, completionWindow: '1h', metadata: null };
    await h.bus.publish(Topics.tasks, [createEvent(TaskSubmitted, { taskId, accountId, totalItems: 4, outputFormat: 'jsonl', fileId, slaMinutes: 60, openaiBatch }, { correlationId: taskId })]);
    await h.waitFor('FileExpanded', (e) => e.payload.taskId === taskId);
    const byKey = new Map(h.eventsOf('ObjectSubmitted').filter((e) => e.payload.taskId === taskId).map((e) => [e.payload.itemKey, e.payload.objectId]));
    const done = (key: string, outputTokens: number) =>
      createEvent(ObjectCompleted, { objectId: byKey.get(key)!, accountId, attempt: 1, providerId: 'p', mode: 'live', inputTokens: 9, outputTokens, output: { text: `answer ${key}` }, providerCostMicros: 1, latencyMs: 1 }, ctx());
    await h.bus.publish(Topics.objects, [
      done('ok', 2),
      done('cut', 5),
      createEvent(ObjectAbandoned, { objectId: byKey.get('gave-up')!, accountId, attempts: 0, code: 'batch_cancelled', message: 'the batch was cancelled before this request started' }, ctx()),
    ]);
    const ready: EventOf<'TaskOutputReady'> = await h.waitFor('TaskOutputReady', (e) => e.payload.taskId === taskId);
    const parse = async (key: string) => (await readAll(await h.blobs.get(key))).trimEnd().split('\n').map((l) => JSON.parse(l));
    const output = await parse(ready.payload.blobKey);
    expect(output.map((l) => l.custom_id)).toEqual(['ok', 'cut']);
    expect(output[0]).toMatchObject({
      id: `batch_req_${byKey.get('ok')}`,
      error: null,
      response: { status_code: 200, request_id: byKey.get('ok'), body: { object: 'chat.completion', model: 'llama-3.1-8b', usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 } } },
    });
    expect(output[0].response.body.choices[0]).toMatchObject({ message: { role: 'assistant', content: 'answer ok' }, finish_reason: 'stop' });
    expect(output[1].response.body.choices[0].finish_reason).toBe('length');
    expect(ready.payload).toMatchObject({ lines: 2, errorFile: { lines: 2 } });
    const errors = await parse(ready.payload.errorFile!.blobKey);
    expect(errors).toEqual([
      { id: expect.stringMatching(/^batch_req_/), custom_id: 'unknown', response: null, error: { code: 'unknown_model', message: "line 2: unknown model 'nope'" } },
      { id: `batch_req_${byKey.get('gave-up')}`, custom_id: 'gave-up', response: null, error: { code: 'batch_cancelled', message: 'the batch was cancelled before this request started' } },
    ]);
  });

  it('streams a file of several chunks, numbering items across chunk boundaries, and writes no output file for a json task', async () => {
    const accountId = randomUUID();
    const lines = EXPANSION_CHUNK_LINES * 2 + 7;
    const content = Readable.from((function* () {
      for (let i = 0; i < lines; i++) yield `${seed(`k${i}`, `question ${i}`)}\n`;
    })());
    const fileId = randomUUID();
    const stored = await h.blobs.put(`files/${accountId}/${fileId}`, content);
    await h.bus.publish(Topics.files, [
      createEvent(FileStored, { fileId, accountId, fileName: 'big.jsonl', bytes: stored.bytes, mimeType: 'application/jsonl', sha256: stored.sha256, blobKey: `files/${accountId}/${fileId}`, items: lines, format: 'sluice' }, ctx()),
    ]);
    const taskId = await submitTask(accountId, fileId, lines, 'json');
    await h.waitFor('FileExpanded', (e) => e.payload.taskId === taskId, 30_000);
    const submitted = h.eventsOf('ObjectSubmitted').filter((e) => e.payload.taskId === taskId);
    expect(submitted).toHaveLength(lines);
    expect(new Set(submitted.map((e) => e.payload.index)).size).toBe(lines);
    const last = submitted.find((e) => e.payload.index === lines - 1);
    expect(last?.payload).toMatchObject({ itemKey: `k${lines - 1}`, input: { text: `question ${lines - 1}` } });
    expect(submitted.every((e) => e.payload.collectOutput === undefined)).toBe(true);
  });
});

describe('the files service stopped in the middle of a file', () => {
  it('resumes from its checkpoint on restart: every line ends up submitted once, a repeated chunk carries the same event ids', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sluice-files-restart-'));
    const accountId = randomUUID();
    const fileId = randomUUID();
    const taskId = randomUUID();
    const lines = EXPANSION_CHUNK_LINES * 15 + 3;
    let first: ServiceHarness | undefined;
    let second: ServiceHarness | undefined;
    try {
      first = await startServiceHarness(filesService, { market: false, dataDir });
      const content = Readable.from((function* () {
        for (let i = 0; i < lines; i++) yield `${seed(`k${i}`, `question ${i}`)}\n`;
      })());
      const blobKey = `files/${accountId}/${fileId}`;
      const stored = await first.blobs.put(blobKey, content);
      await first.bus.publish(Topics.files, [createEvent(FileStored, { fileId, accountId, fileName: 'f.jsonl', bytes: stored.bytes, mimeType: 'application/jsonl', sha256: stored.sha256, blobKey, items: lines, format: 'sluice' }, ctx())]);
      await first.bus.publish(Topics.tasks, [createEvent(TaskSubmitted, { taskId, accountId, totalItems: lines, outputFormat: 'json', fileId, slaMinutes: 60 }, { correlationId: taskId })]);
      await first.waitFor('ObjectSubmitted', (e) => e.payload.taskId === taskId, 30_000);
      await first.stop();
      const beforeRestart = first.eventsOf('ObjectSubmitted').filter((e) => e.payload.taskId === taskId).length;
      expect(beforeRestart).toBeLessThan(lines);

      second = await startServiceHarness(filesService, { market: false, dataDir });
      const done = await second.waitFor('FileExpanded', (e) => e.payload.taskId === taskId, 30_000);
      expect(done.payload).toMatchObject({ submitted: lines, rejected: 0 });
      const all = second.eventsOf('ObjectSubmitted').filter((e) => e.payload.taskId === taskId);
      const byEventId = new Map(all.map((e) => [e.eventId, e]));
      expect(byEventId.size).toBe(lines);
      expect(new Set(all.map((e) => e.payload.index)).size).toBe(lines);
      for (const e of all) expect(byEventId.get(e.eventId)?.payload).toEqual(e.payload);
      const last = all.find((e) => e.payload.index === lines - 1);
      expect(last?.payload).toMatchObject({ itemKey: `k${lines - 1}`, input: { text: `question ${lines - 1}` } });
    } finally {
      await second?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
