import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI from 'openai';
import type { EmbeddedSluice } from '../embedded-host';
import { callAt, expectedChargeMicros, openAccountAt, usdToMicros, type Inference } from './realtime.scenario';

export interface OpenAiHarness {
  sluice: EmbeddedSluice;
  adminKey: string;
}

/** The billing block Sluice adds to OpenAI's objects. */
interface Billing {
  cost_usd: number;
  balance_remaining_usd: number;
}

const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
  { role: 'system', content: 'You answer in two sentences.' },
  { role: 'user', content: 'Summarize inference routing.' },
];

/**
 * The official `openai` SDK pointed at Sluice, as a user moving from OpenAI would: only the base
 * URL and the key change. The demo market answers deterministically, so a streamed answer can be
 * compared with a plain one.
 */
export function openAiChatScenarios(start: () => Promise<OpenAiHarness>, stop: (h: OpenAiHarness) => Promise<void>) {
  let h: OpenAiHarness;
  let sluice: EmbeddedSluice;

  beforeAll(async () => {
    h = await start();
    sluice = h.sluice;
  });
  afterAll(async () => {
    if (h) await stop(h);
  });

  const clientFor = (apiKey: string) => new OpenAI({ baseURL: `${sluice.url}/v1`, apiKey, maxRetries: 0 });
  const openAccount = async (name: string, creditUsd: number) => openAccountAt(sluice.url, h.adminKey, name, creditUsd);
  const balanceMicros = async (key: string) => usdToMicros((await callAt<{ current_balance_usd: number }>(sluice.url, 'GET', '/v1/balance', key)).body.current_balance_usd);
  const chatCalls = () => Object.values(sluice.market!.stats()).reduce((sum, s) => sum + s.chatCompletions, 0);

  it('lists the catalogue as OpenAI models, with owner, limits and prices, and finds one by a name with a slash', async () => {
    const { key } = await openAccount('models', 1);
    const openai = clientFor(key);
    const models = [];
    for await (const model of openai.models.list()) models.push(model);
    const qwen = models.find((m) => m.id === 'qwen2.5-7b-instruct') as (OpenAI.Model & { sluice?: Record<string, unknown> }) | undefined;
    expect(qwen).toMatchObject({ object: 'model', sluice: { canonical_id: 'qwen-7b', context_tokens: expect.any(Number), max_output_tokens: expect.any(Number) } });
    expect(models.find((m) => m.id === 'gpt-4o')?.owned_by).toBe('openai');
    const llama = await openai.models.retrieve('meta-llama/llama-3.1-8b-instruct');
    expect(llama).toMatchObject({ id: 'meta-llama/llama-3.1-8b-instruct', owned_by: 'meta-llama' });
    await expect(openai.models.retrieve('no-such-model')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('answers a chat completion with usage and billing, charges it once, and shows it at GET /v1/inference/{id}', async () => {
    const { key } = await openAccount('chat', 1);
    const openai = clientFor(key);
    sluice.market!.resetStats();
    const completion = await openai.chat.completions.create({ model: 'qwen2.5-7b-instruct', messages, max_tokens: 64, temperature: 0.2, top_p: 0.9, stop: ['\n\n\n'], seed: 1, user: 'end-user-7' });
    expect(completion).toMatchObject({ object: 'chat.completion', model: 'qwen2.5-7b-instruct', choices: [{ index: 0, message: { role: 'assistant' } }] });
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.choices[0].message.content?.length).toBeGreaterThan(0);
    expect(['stop', 'length']).toContain(completion.choices[0].finish_reason);
    expect(chatCalls()).toBe(1);
    const usage = completion.usage!;
    const charge = expectedChargeMicros('midway', { input_tokens: usage.prompt_tokens, output_tokens: usage.completion_tokens, total_tokens: usage.total_tokens });
    const billing = (completion as unknown as { billing: Billing }).billing;
    expect(usdToMicros(billing.cost_usd)).toBe(charge);
    expect(usdToMicros(billing.balance_remaining_usd)).toBe(1_000_000 - charge);
    expect(await balanceMicros(key)).toBe(1_000_000 - charge);
    const read = await callAt<Inference>(sluice.url, 'GET', `/v1/inference/${completion.id}`, key);
    expect(read.body).toMatchObject({ status: 'success', output_text: completion.choices[0].message.content });
  });

  it('streams the same text the plain call gives, ends with a usage chunk, and charges once', async () => {
    const { key } = await openAccount('stream', 1);
    const openai = clientFor(key);
    const request = { model: 'qwen2.5-7b-instruct', messages, max_tokens: 64 };
    const plain = await openai.chat.completions.create(request);
    const afterPlain = await balanceMicros(key);
    const stream = await openai.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
    const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(chunks.filter((c) => (c.choices[0]?.delta.content ?? '') !== '').length).toBeGreaterThan(1);
    expect(text).toBe(plain.choices[0].message.content);
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    expect(chunks.at(-2)?.choices[0].finish_reason).toBe(plain.choices[0].finish_reason);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual(plain.usage);
    const charge = usdToMicros((last as unknown as { billing: Billing }).billing.cost_usd);
    expect(charge).toBe(usdToMicros((plain as unknown as { billing: Billing }).billing.cost_usd));
    expect(await balanceMicros(key)).toBe(afterPlain - charge);
  });

  it('charges a client that hangs up mid-stream for what the provider produced, exactly once', async () => {
    const { key } = await openAccount('hang-up', 1);
    const openai = clientFor(key);
    // The economy provider streams slowly enough to leave mid-way.
    const stream = await openai.chat.completions.create({ model: 'qwen2.5-7b-instruct', messages, max_tokens: 64, performance_profile: 'economy', stream: true } as OpenAI.Chat.ChatCompletionCreateParamsStreaming);
    let id = '';
    for await (const chunk of stream) {
      id = chunk.id;
      if (chunk.choices[0]?.delta.content) break; // leaves the loop: the SDK aborts the request
    }
    expect(id).toMatch(/^chatcmpl-/);
    let record: Inference | undefined;
    for (const until = Date.now() + 20_000; Date.now() < until; await sleep(50)) {
      record = (await callAt<Inference>(sluice.url, 'GET', `/v1/inference/${id}`, key)).body;
      if (record.status === 'success') break;
    }
    expect(record).toMatchObject({ status: 'success' });
    const charge = usdToMicros(record!.billing.cost_usd);
    expect(charge).toBe(expectedChargeMicros('bargain', record!.usage));
    for (const until = Date.now() + 10_000; Date.now() < until && (await balanceMicros(key)) !== 1_000_000 - charge; ) await sleep(50);
    await sleep(500);
    expect(await balanceMicros(key)).toBe(1_000_000 - charge);
  });

  it('refuses what it cannot honour with a 400 naming the field, before any provider runs', async () => {
    const { key } = await openAccount('refusals', 1);
    const openai = clientFor(key);
    sluice.market!.resetStats();
    const refused = async (body: Record<string, unknown>) => {
      const err = await openai.chat.completions.create({ model: 'qwen2.5-7b-instruct', messages, ...body } as unknown as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      return err as InstanceType<typeof OpenAI.BadRequestError>;
    };
    expect((await refused({ n: 2 })).param).toBe('n');
    const tools = await refused({ tools: [{ type: 'function', function: { name: 'f', parameters: {} } }] });
    expect(tools.param).toBe('tools');
    expect(tools.message).toMatch(/tool calling is not supported/);
    expect((await refused({ temperature: 3 })).param).toBe('temperature');
    expect((await refused({ logit_bias: { '50256': -100 } })).param).toBe('logit_bias');
    expect((await refused({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'http://x/y.png' } }] }] })).param).toMatch(/^messages\[0\]\.content/);
    expect(chatCalls()).toBe(0);
  });

  it("answers 429 with Retry-After once a key's requests-per-minute ceiling is spent (RateLimitError in the SDK)", async () => {
    const { key } = await openAccount('rate-limited', 1);
    const limited = await callAt<{ key: string; rpm_limit: number }>(sluice.url, 'POST', '/v1/api-keys', key, { rpm_limit: 2 });
    expect(limited.status).toBe(201);
    expect(limited.body.rpm_limit).toBe(2);
    const openai = clientFor(limited.body.key);
    await openai.models.list();
    await openai.models.list();
    const refused = await openai.models.list().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    expect(refused).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
    expect(Number((refused as InstanceType<typeof OpenAI.RateLimitError>).headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const seedApi = await callAt(sluice.url, 'POST', '/v1/inference', limited.body.key, { model: 'qwen-7b', input: 'hi', max_output_tokens: 8 });
    expect([seedApi.status, seedApi.body.error?.code]).toEqual([429, 'rate_limit_exceeded']);
    // The account's other key has no ceiling.
    expect((await callAt(sluice.url, 'GET', '/v1/balance', key)).status).toBe(200);
  });

  it('raises the SDK error classes for 401, 402, 404 and 503', async () => {
    const { key } = await openAccount('errors', 0.000001);
    await expect(clientFor('sk_live_not_a_key').chat.completions.create({ model: 'qwen2.5-7b-instruct', messages })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const openai = clientFor(key);
    await expect(openai.chat.completions.create({ model: 'no-such-model', messages })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const poor = await openai.chat.completions.create({ model: 'qwen2.5-7b-instruct', messages, max_tokens: 64 }).catch((e: unknown) => e);
    expect(poor).toBeInstanceOf(OpenAI.APIError);
    expect(poor).toMatchObject({ status: 402, code: 'insufficient_balance' });

    const { key: funded } = await openAccount('errors-503', 1);
    for (const id of Object.keys(sluice.market!.stats())) sluice.market!.setFailures(id, { rate5xx: 1 });
    try {
      const failed = await clientFor(funded).chat.completions.create({ model: 'qwen2.5-7b-instruct', messages, max_tokens: 16 }).catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(OpenAI.InternalServerError);
      expect(failed).toMatchObject({ status: 503, code: 'all_providers_failed' });
    } finally {
      for (const id of Object.keys(sluice.market!.stats())) sluice.market!.setFailures(id, { rate5xx: 0 });
    }
    await sleep(300);
    expect(await balanceMicros(funded)).toBe(1_000_000);
  });
}
