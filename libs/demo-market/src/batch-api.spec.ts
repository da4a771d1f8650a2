import { startDemoMarket } from './demo-market';
import type { DemoMarket, DemoMarketCatalogue } from './demo-market.types';

const catalogue: DemoMarketCatalogue = {
  models: [{ id: 'qwen-7b', tokenizer: 'cl100k_base', contextTokens: 32768, maxOutputTokens: 512 }],
  providers: [
    {
      id: 'cheap',
      baseUrl: 'demo://cheap',
      models: [{ model: 'qwen-7b', providerModel: 'Qwen/Qwen2.5-7B-Instruct' }],
      latency: { ttftMs: 1000, perOutputTokenMs: 40, jitterPercent: 0 },
      rateLimits: { rpm: 60 },
      reliability: 0.97,
      batch: { turnaroundSeconds: 600 },
    },
    {
      id: 'live-only',
      baseUrl: 'demo://live-only',
      models: [{ model: 'qwen-7b', providerModel: 'qwen' }],
      latency: { ttftMs: 10, perOutputTokenMs: 1, jitterPercent: 0 },
      rateLimits: { rpm: 60 },
      reliability: 0.99,
    },
  ],
};

type WireObject = Record<string, unknown> & { id: string; status: string; output_file_id: string | null; error_file_id: string | null };

const line = (customId: string, model: string, content: string) =>
  JSON.stringify({ custom_id: customId, method: 'POST', url: '/v1/chat/completions', body: { model, messages: [{ role: 'user', content }], max_tokens: 50 } });

describe('demo market: OpenAI Batch API', () => {
  let clock = 0;
  let market: DemoMarket;
  beforeAll(async () => {
    market = await startDemoMarket(catalogue, { latencyScale: 0, turnaroundScale: 1, now: () => clock });
  });
  afterAll(() => market.stop());

  const request = (providerId: string, path: string, init: RequestInit = {}) =>
    fetch(`${market.providers[providerId]}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${market.apiKeys[providerId]}`, ...(init.headers ?? {}) },
    });
  const call = async (providerId: string, path: string, init: RequestInit = {}) => {
    const res = await request(providerId, path, init);
    return { status: res.status, body: (await res.json()) as WireObject };
  };
  const contentLines = async (providerId: string, fileId: string | null) =>
    (await (await request(providerId, `/files/${fileId}/content`)).text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));

  const upload = (providerId: string, jsonl: string) => {
    const form = new FormData();
    form.append('purpose', 'batch');
    form.append('file', new Blob([jsonl]), 'input.jsonl');
    return call(providerId, '/files', { method: 'POST', body: form });
  };

  const createBatch = (providerId: string, fileId: string) =>
    call(providerId, '/batches', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ input_file_id: fileId, endpoint: '/v1/chat/completions', completion_window: '24h' }),
    });

  it('takes a JSONL file through validating → in_progress → completed on the turnaround clock', async () => {
    clock = 1_000_000;
    const jsonl = [line('a', 'Qwen/Qwen2.5-7B-Instruct', 'first'), line('b', 'no-such-model', 'second'), line('c', 'Qwen/Qwen2.5-7B-Instruct', 'third')].join('\n');
    const file = await upload('cheap', jsonl);
    expect(file).toMatchObject({ status: 200, body: { object: 'file', purpose: 'batch', filename: 'input.jsonl', bytes: Buffer.byteLength(jsonl) } });

    const created = await createBatch('cheap', file.body.id);
    expect(created.body).toMatchObject({ status: 'validating', input_file_id: file.body.id, output_file_id: null });
    const poll = () => call('cheap', `/batches/${created.body.id}`);

    clock += 60_000;
    expect((await poll()).body).toMatchObject({ status: 'in_progress', request_counts: { total: 3, completed: 0, failed: 0 } });
    clock += 539_000;
    expect((await poll()).body.status).toBe('in_progress');
    clock += 1_000;
    const done = (await poll()).body;
    expect(done).toMatchObject({ status: 'completed', request_counts: { total: 3, completed: 2, failed: 1 } });

    const results = await contentLines('cheap', done.output_file_id);
    expect(results.map((r) => [r.custom_id, r.response.status_code])).toEqual([
      ['a', 200],
      ['c', 200],
    ]);
    expect(results[0].response.body.usage.completion_tokens).toBeLessThanOrEqual(50);
    expect(await contentLines('cheap', done.error_file_id)).toMatchObject([{ custom_id: 'b', response: { status_code: 404 } }]);
    expect(market.stats().cheap).toMatchObject({ filesUploaded: 1, batchesCreated: 1, batchRequests: 3, chatCompletions: 0 });
  });

  it('fails a batch whose file has a line that is not JSON', async () => {
    clock = 5_000_000;
    const file = await upload('cheap', `${line('a', 'Qwen/Qwen2.5-7B-Instruct', 'x')}\n{oops\n`);
    const created = await createBatch('cheap', file.body.id);
    clock += 60_000;
    const polled = await call('cheap', `/batches/${created.body.id}`);
    expect(polled.body).toMatchObject({ status: 'failed', errors: { data: [{ line: 2 }] } });
  });

  it('cancels a batch in progress', async () => {
    clock = 9_000_000;
    const file = await upload('cheap', line('a', 'Qwen/Qwen2.5-7B-Instruct', 'x'));
    const created = await createBatch('cheap', file.body.id);
    const cancelled = await call('cheap', `/batches/${created.body.id}/cancel`, { method: 'POST' });
    clock += 10 * 60_000;
    expect(cancelled.body.status).toBe('cancelled');
    expect((await call('cheap', `/batches/${created.body.id}`)).body).toMatchObject({ status: 'cancelled', output_file_id: null });
  });

  it('rejects an unknown input file and a provider without a batch API', async () => {
    expect((await createBatch('cheap', 'file-missing')).status).toBe(400);
    expect((await upload('live-only', line('a', 'qwen', 'x'))).status).toBe(404);
  });
});
