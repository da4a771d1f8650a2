import OpenAI, { toFile } from 'openai';
import type { EmbeddedSluice } from '../embedded-host';
import { until } from './http';

const CREDIT_USD = 5;

/** What the scenarios need of an engine started with OPENAI_BATCHES_ENV. */
export interface OpenAiBatchesHarness {
  sluice: EmbeddedSluice;
  adminKey: string;
  /** Runs `ledger:check` and `rebuild` against the engine (stopping it first if it must); returns their exit codes. */
  operatorChecks: () => Promise<{ ledger: number; rebuild: number }>;
}

/** The clock starts at 01:00 UTC and runs 600× faster (see the scenarios). */
export const OPENAI_BATCHES_ENV = { SLUICE_TIME_SCALE: '600', SLUICE_CLOCK_ORIGIN: '2030-01-01T01:00:00.000Z' };

/** An OpenAI Batch line, as a user of OpenAI's Batch API writes it. */
const line = (customId: string, model: string, content: string) =>
  JSON.stringify({ custom_id: customId, method: 'POST', url: '/v1/chat/completions', body: { model, messages: [{ role: 'user', content }], max_tokens: 32 } });
const jsonl = (lines: string[]) => `${lines.join('\n')}\n`;
const parseLines = (text: string) =>
  text
    .trimEnd()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

/**
 * The official `openai` SDK, pointed at Sluice's `/v1`, as a customer moving a batch
 * workload would use it. The clock starts at 01:00 UTC and runs 600× faster: a window's small
 * models go into a provider batch job within seconds, while gpt-4o-mini lines of a 24h window
 * wait for the off-peak window at 16:30 (93 s of real time), which leaves time to cancel them.
 */
export function openAiBatchesScenarios(start: () => Promise<OpenAiBatchesHarness>, stop: () => Promise<void>) {
  let h: OpenAiBatchesHarness;
  let base: string;

  async function openAccount(name: string): Promise<OpenAI> {
    const res = await fetch(`${base}/v0/admin/accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name, credit_usd: CREDIT_USD }),
    });
    expect(res.status).toBe(201);
    const apiKey = ((await res.json()) as { api_key: string }).api_key;
    await until('the credit to reach the wallet', async () => ((await balanceUsd(apiKey)) > 0 ? true : undefined), 30_000);
    return new OpenAI({ apiKey, baseURL: `${base}/v1`, maxRetries: 0 });
  }

  async function balanceUsd(apiKey: string): Promise<number> {
    const res = await fetch(`${base}/v1/balance`, { headers: { authorization: `Bearer ${apiKey}` } });
    return ((await res.json()) as { current_balance_usd: number }).current_balance_usd;
  }

  const upload = async (client: OpenAI, name: string, lines: string[]) => client.files.create({ file: await toFile(Buffer.from(jsonl(lines)), name), purpose: 'batch' });

  /** Sluice's extension of the batch object. */
  const sluiceOf = (batch: OpenAI.Batches.Batch) => (batch as unknown as { sluice: { sla_minutes: number; price_factor: number | null; expected_cost_usd: number; charged_usd: number } }).sluice;

  beforeAll(async () => {
    h = await start();
    base = h.sluice.url;
  });
  afterAll(async () => {
    if (h) await stop();
  });

  it('runs a batch with a "1h" window to completed: one output line per input custom_id, refused lines in the error file', async () => {
    const client = await openAccount('sdk-batch');
    const input = [line('q-1', 'qwen-7b', 'Name a colour.'), line('q-2', 'qwen-7b', 'Name a fruit.'), line('bad-model', 'no-such-model', 'Hi'), line('q-4', 'llama-3.1-8b', 'Name a river.')];
    const file = await upload(client, 'requests.jsonl', input);
    expect(file).toMatchObject({ object: 'file', purpose: 'batch', filename: 'requests.jsonl', bytes: Buffer.byteLength(jsonl(input)), status: 'processed' });
    expect(await (await client.files.content(file.id)).text()).toBe(jsonl(input));
    expect(await client.files.retrieve(file.id)).toEqual(file);

    const created = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '1h' as '24h',
      metadata: { job: 'nightly' },
    });
    expect(created).toMatchObject({ object: 'batch', status: 'validating', input_file_id: file.id, completion_window: '1h', metadata: { job: 'nightly' } });
    expect(created.expires_at! - created.created_at).toBe(3600);
    expect(sluiceOf(created).sla_minutes).toBe(60);

    const done = await until('the batch to complete', async () => {
      const b = await client.batches.retrieve(created.id);
      return b.status === 'completed' ? b : undefined;
    }, 120_000);
    expect(done.request_counts).toEqual({ total: 4, completed: 3, failed: 1 });
    for (const at of [done.in_progress_at, done.finalizing_at, done.completed_at]) expect(at).toEqual(expect.any(Number));
    expect(done.in_progress_at!).toBeLessThanOrEqual(done.finalizing_at!);
    expect(done.finalizing_at!).toBeLessThanOrEqual(done.completed_at!);
    // The same price factor quote as /v0/infer/ for the window: below the base price, at or above the floor.
    const { price_factor: factor, expected_cost_usd: expected } = sluiceOf(done);
    expect(factor).toBeGreaterThanOrEqual(0.3);
    expect(factor).toBeLessThan(1);
    expect(expected).toBeGreaterThan(0);
    const charged = await until('the lines to be charged', async () => {
      const usd = sluiceOf(await client.batches.retrieve(created.id)).charged_usd;
      return usd > 0 ? usd : undefined;
    }, 30_000);
    expect(charged).toBeLessThanOrEqual(expected);

    const output = parseLines(await (await client.files.content(done.output_file_id!)).text());
    expect(output.map((l) => l.custom_id)).toEqual(['q-1', 'q-2', 'q-4']);
    for (const l of output) {
      expect(l).toMatchObject({ id: expect.stringMatching(/^batch_req_/), error: null, response: { status_code: 200, request_id: expect.any(String) } });
      expect(l.response.body).toMatchObject({ object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: expect.stringMatching(/\S/) } }] });
      expect(l.response.body.usage.total_tokens).toBe(l.response.body.usage.prompt_tokens + l.response.body.usage.completion_tokens);
    }
    const errors = parseLines(await (await client.files.content(done.error_file_id!)).text());
    expect(errors).toEqual([{ id: expect.stringMatching(/^batch_req_/), custom_id: 'bad-model', response: null, error: { code: 'unknown_model', message: "line 3: unknown model 'no-such-model'" } }]);
    expect(await client.files.retrieve(done.output_file_id!)).toMatchObject({ purpose: 'batch_output' });

    const outputs = await client.files.list({ purpose: 'batch_output' });
    expect(outputs.data.map((f) => f.id).sort()).toEqual([done.output_file_id, done.error_file_id].sort());
  });

  it('cancels a batch mid-way: what ran is kept and charged, the rest never starts and its funds come back', async () => {
    const client = await openAccount('sdk-cancel');
    const apiKey = client.apiKey as string;
    const input = [
      line('now-1', 'qwen-7b', 'Say hello.'),
      line('now-2', 'qwen-7b', 'Say goodbye.'),
      ...Array.from({ length: 5 }, (_, i) => line(`later-${i}`, 'gpt-4o-mini', `Write a haiku about the number ${i}.`)),
    ];
    const file = await upload(client, 'mixed.jsonl', input);
    const batch = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    const running = await until('the small model\'s lines to complete', async () => {
      const b = await client.batches.retrieve(batch.id);
      return b.request_counts?.completed === 2 ? b : undefined;
    }, 60_000);
    expect(running.status).toBe('in_progress');
    // While the batch runs, its unstarted lines hold funds.
    expect(await balanceUsd(apiKey)).toBeLessThan(CREDIT_USD - sluiceOf(running).charged_usd);

    const cancelling = await client.batches.cancel(batch.id);
    expect(['cancelling', 'cancelled']).toContain(cancelling.status);
    expect(cancelling.cancelling_at).toEqual(expect.any(Number));
    expect((await client.batches.cancel(batch.id)).cancelling_at).toBe(cancelling.cancelling_at);

    const cancelled = await until('the batch to be cancelled', async () => {
      const b = await client.batches.retrieve(batch.id);
      return b.status === 'cancelled' ? b : undefined;
    }, 60_000);
    expect(cancelled.request_counts).toEqual({ total: 7, completed: 2, failed: 5 });
    expect(cancelled.cancelled_at).toEqual(expect.any(Number));
    expect(parseLines(await (await client.files.content(cancelled.output_file_id!)).text()).map((l) => l.custom_id)).toEqual(['now-1', 'now-2']);
    const errors = parseLines(await (await client.files.content(cancelled.error_file_id!)).text());
    expect(errors.map((l) => [l.custom_id, l.error.code])).toEqual(Array.from({ length: 5 }, (_, i) => [`later-${i}`, 'batch_cancelled']));

    // Money: once billing settled every line, the wallet is the credit less what the two lines that ran cost.
    const settled = await until('billing to settle every line', async () => {
      const b = await client.batches.retrieve(batch.id);
      const charged = sluiceOf(b).charged_usd;
      const balance = await balanceUsd(apiKey);
      return charged > 0 && Math.abs(balance - (CREDIT_USD - charged)) < 1e-9 ? { charged, balance } : undefined;
    }, 30_000);
    expect(settled.charged).toBeLessThan(sluiceOf(cancelled).expected_cost_usd);
    await expect(client.batches.cancel(batch.id)).rejects.toBeInstanceOf(OpenAI.ConflictError);
  });

  it('lists batches newest first with cursor pagination (after, limit)', async () => {
    const client = await openAccount('sdk-list');
    const file = await upload(client, 'one.jsonl', [line('x', 'qwen-7b', 'Hi')]);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '3d' as '24h' })).id);
    const first = await client.batches.list({ limit: 2 });
    expect(first.data.map((b) => b.id)).toEqual([ids[2], ids[1]]);
    expect(first.has_more).toBe(true);
    const next = await client.batches.list({ limit: 2, after: ids[1] });
    expect(next.data.map((b) => b.id)).toEqual([ids[0]]);
    expect(next.has_more).toBe(false);
    const all: string[] = [];
    for await (const b of client.batches.list({ limit: 1 })) all.push(b.id);
    expect(all).toEqual([...ids].reverse());
    expect(sluiceOf(first.data[0]).sla_minutes).toBe(3 * 24 * 60);
    // Run to their end, so that the engine is idle for the replay below.
    for (const id of ids) await until('the batch to complete', async () => ((await client.batches.retrieve(id)).status === 'completed' ? true : undefined), 60_000);
  });

  it('raises the SDK\'s own errors: NotFoundError, BadRequestError naming the param, AuthenticationError', async () => {
    const client = await openAccount('sdk-errors');
    const file = await upload(client, 'e.jsonl', [line('x', 'qwen-7b', 'Hi')]);

    await expect(client.batches.retrieve('no-such-batch')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(client.files.retrieve('no-such-file')).rejects.toBeInstanceOf(OpenAI.NotFoundError);

    const badWindow = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '2 weeks' as '24h' }).catch((e: unknown) => e);
    expect(badWindow).toBeInstanceOf(OpenAI.BadRequestError);
    expect(badWindow).toMatchObject({ status: 400, param: 'completion_window', message: expect.stringContaining('completion_window') });

    const unknownField = await client.batches
      .create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h', output_expires_after: { anchor: 'created_at', seconds: 3600 } })
      .catch((e: unknown) => e);
    expect(unknownField).toMatchObject({ status: 400, param: 'output_expires_after' });
    expect(await client.batches.create({ input_file_id: file.id, endpoint: '/v1/embeddings', completion_window: '24h' }).catch((e: unknown) => e)).toMatchObject({ status: 400, param: 'endpoint' });

    const badPurpose = await client.files.create({ file: await toFile(Buffer.from(jsonl([line('x', 'qwen-7b', 'Hi')])), 'f.jsonl'), purpose: 'fine-tune' }).catch((e: unknown) => e);
    expect(badPurpose).toBeInstanceOf(OpenAI.BadRequestError);
    expect(badPurpose).toMatchObject({ param: 'purpose' });
    expect((await client.files.list({ purpose: 'batch' })).data.map((f) => f.id)).toEqual([file.id]);

    expect(await client.files.delete(file.id)).toEqual({ id: file.id, object: 'file', deleted: true });
    await expect(client.files.retrieve(file.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    expect((await client.files.list({ purpose: 'batch' })).data).toEqual([]);
    await expect(client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' })).rejects.toBeInstanceOf(OpenAI.NotFoundError);

    const stranger = new OpenAI({ apiKey: 'sk_live_not_a_key', baseURL: `${base}/v1`, maxRetries: 0 });
    await expect(stranger.batches.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(stranger.files.create({ file: await toFile(Buffer.from('{}\n'), 'x.jsonl'), purpose: 'batch' })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('keeps books that balance, and read models (batches included) that a replay of the log rebuilds identically', async () => {
    expect(await h.operatorChecks()).toEqual({ ledger: 0, rebuild: 0 });
  });
}
