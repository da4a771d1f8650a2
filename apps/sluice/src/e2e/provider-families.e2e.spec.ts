import { basePrice, loadCatalogue, tokenCostMicros } from '@sluice/catalogue';
import { applyPriceFactor } from '@sluice/pricing';
import OpenAI from 'openai';
import { until } from './http';
import { callAt, openAccountAt } from './realtime.scenario';
import { startEmbeddedForTest, type TestEngine } from './test-engine';

jest.setTimeout(180_000);

const ADMIN_KEY = 'sk_admin_e2e_families_0123456789';

interface TaskView {
  status: string;
  task_id: string;
  objects: { status: string; usage: { input_tokens: number; output_tokens?: number; price_factor: number }; output?: { text: string }; error?: { code: string; message: string } | null }[];
}

/**
 * The whole exchange offline against all three provider families of the demo catalogue:
 * Claude through the Anthropic Messages API, Gemini through the Gemini API, each live,
 * streamed and through its batch API, as a customer of Sluice sees it.
 */
describe('every provider family end to end on the embedded engine (demo market)', () => {
  let engine: TestEngine;
  let base: string;
  beforeAll(async () => {
    engine = await startEmbeddedForTest({ name: 'families', adminKey: ADMIN_KEY, env: { SLUICE_TIME_SCALE: '3000' } });
    base = engine.sluice.url;
  });
  afterAll(() => engine?.stop());

  const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Summarize inference routing in two sentences.' },
  ];

  it.each([
    ['claude-haiku', 'anthropic-direct'],
    ['gemini-flash', 'gemini-direct'],
  ])('%s: a live answer and a streamed one: the same text and the same provider-reported usage', async (model, providerId) => {
    const { key } = await openAccountAt(base, ADMIN_KEY, `live-${model}`, 1);
    const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: key, maxRetries: 0 });
    engine.sluice.market!.resetStats();
    const plain = await openai.chat.completions.create({ model, messages, max_tokens: 200, temperature: 0.4, stop: ['\n\n\n'] });
    expect(plain.choices[0].message.content?.length).toBeGreaterThan(0);
    const stream = await openai.chat.completions.create({ model, messages, max_tokens: 200, temperature: 0.4, stop: ['\n\n\n'], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe(plain.choices[0].message.content);
    expect(usage).toEqual(plain.usage);
    expect(engine.sluice.market!.stats()[providerId]).toMatchObject({ chatCompletions: 2, succeeded: 2 });
  });

  it('refuses by name a parameter the Messages API lacks, and sends nothing to Anthropic', async () => {
    const { key } = await openAccountAt(base, ADMIN_KEY, 'refused', 1);
    engine.sluice.market!.resetStats();
    const refused = await callAt<{ error: { code: string; message: string } }>(base, 'POST', '/v1/inference', key, { model: 'claude-haiku', input: 'hi', max_output_tokens: 16, seed: 7 });
    expect([refused.status, refused.body.error.code]).toEqual([422, 'unsupported_parameter']);
    expect(refused.body.error.message).toMatch(/anthropic API has no seed/);
    expect(engine.sluice.market!.stats()['anthropic-direct'].chatCompletions).toBe(0);
  });

  it('runs 1-day SLA items through Message Batches and Gemini Batch Mode', async () => {
    const { key } = await openAccountAt(base, ADMIN_KEY, 'batches', 5);
    engine.sluice.market!.resetStats();
    const items = [
      { sla: 1440, model: 'claude-haiku', input: 'Describe the process of photosynthesis.' },
      { sla: 1440, model: 'gemini-flash', input: 'What are the main ingredients in a Margherita pizza?' },
    ];
    const submitted = await callAt<TaskView>(base, 'POST', '/v0/infer/', key, items);
    expect(submitted.status).toBe(200);
    const task = await until(
      'the task to complete',
      async () => {
        const t = await callAt<TaskView>(base, 'GET', `/v0/infer/task/${submitted.body.task_id}/`, key);
        return t.body.objects.length === items.length && t.body.objects.every((o) => o.status === 'completed' || o.status === 'failed') ? t.body : undefined;
      },
      120_000,
    );
    expect(task.objects.map((o) => [o.status, o.error ?? null])).toEqual([
      ['completed', null],
      ['completed', null],
    ]);
    for (const o of task.objects) expect(o.output?.text.length).toBeGreaterThan(0);
    const stats = engine.sluice.market!.stats();
    expect([stats['anthropic-direct'].batchRequests, stats['gemini-direct'].batchRequests]).toEqual([1, 1]);
    // Charged at the quoted factor on the base price, on the usage the batch APIs reported.
    const catalogue = loadCatalogue();
    const owed = task.objects.reduce(
      (sum, o, i) => sum + applyPriceFactor(tokenCostMicros(basePrice(catalogue, items[i].model), o.usage.input_tokens, o.usage.output_tokens ?? 0), o.usage.price_factor),
      0,
    );
    expect(task.objects.every((o) => o.usage.price_factor < 1)).toBe(true);
    await until('both charges in the balance', async () => {
      const balance = await callAt<{ current_balance_usd: number }>(base, 'GET', '/v1/balance', key);
      return Math.round(balance.body.current_balance_usd * 1_000_000) === 5_000_000 - owed ? true : undefined;
    }, 30_000);
  });
});
