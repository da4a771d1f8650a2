import { countPromptTokens, findProvider, loadCatalogue, providerApi, tokenCostMicros } from '@sluice/catalogue';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ObjectDispatched, createEvent, type Pricing } from '@sluice/events';
import { ProviderAdapters, ProviderAuthError, ProviderRejectedError, ProviderServerError, type CompletionRequest, type CompletionResult } from '@sluice/providers';
import { LiveCaller, ProviderHealthBook } from '@sluice/routing';
import { DispatchExecutor, type Dispatch } from './dispatch-execution';

const catalogue = loadCatalogue();
const endpoints = Object.fromEntries(catalogue.providers.map((p) => [p.id, { baseUrl: `http://127.0.0.1/${p.id}/v1`, apiKey: 'k' }]));
const at = new Date('2025-03-04T10:00:00Z');
let n = 0;
const events = { now: () => at, newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}` };
const realtime: Pricing = { kind: 'realtime', markupBps: 500 };

function executorWith(answer: (request: CompletionRequest) => Promise<CompletionResult>) {
  const calls: string[] = [];
  const warnings: string[] = [];
  const adapter = { complete: (request: CompletionRequest) => (calls.push(request.provider.id), answer(request)) };
  const caller = new LiveCaller({ catalogue, endpoints, health: new ProviderHealthBook(), adapter, now: events.now, warn: (m) => warnings.push(m) });
  const executor = new DispatchExecutor({ catalogue, caller, events });
  return { executor, calls, warnings };
}

const dispatch = (overrides: { model?: string; input?: { text: string } | { blobKey: string; bytes: number }; inputTokens?: number } = {}): Dispatch =>
  createEvent(
    ObjectDispatched,
    {
      objectId: 'obj-1',
      accountId: 'acct-1',
      attempt: 3,
      work: { model: overrides.model ?? 'qwen-7b', input: overrides.input ?? { text: 'hi' }, maxOutputTokens: 32 },
      deadlineAt: at.toISOString(),
      routing: { profile: 'economy', strategy: 'lowest_cost' },
      pricing: realtime,
      avoidProviders: [],
      escalated: false,
      ...(overrides.inputTokens === undefined ? {} : { inputTokens: overrides.inputTokens }),
    },
    { correlationId: 'task-1' },
    events,
  );

const answered = async (): Promise<CompletionResult> => ({ text: 'ok', inputTokens: 10, outputTokens: 5, latencyMs: 12, finishReason: 'stop' });

describe('dispatch execution', () => {
  it('quotes with the input tokens counted at submission when the dispatch carries them, else counts the input', async () => {
    // A fresh executor each time: what a call teaches the health book would change the next quote.
    const estimate = async (d: Dispatch) => (await executorWith(answered).executor.execute(d)).events.find((e) => e.type === 'QuoteAccepted')!.payload;
    const long = 'the exchange routes each request '.repeat(200);
    const counted = await estimate(dispatch({ input: { text: long } }));
    const carried = await estimate(dispatch({ input: { text: 'hi' }, inputTokens: countPromptTokens(catalogue, 'qwen-7b', long) }));
    const short = await estimate(dispatch({ input: { text: 'hi' } }));
    expect(carried).toEqual(counted);
    expect(short).not.toEqual(counted);
  });

  it('refuses an input stored by reference without calling a provider', async () => {
    const { executor, calls } = executorWith(answered);
    const outcome = await executor.execute(dispatch({ input: { blobKey: 'b/1', bytes: 3 } }));
    expect(calls).toEqual([]);
    expect(outcome.events.map((e) => [e.type, 'code' in e.payload ? e.payload.code : null])).toEqual([['ObjectFailed', 'input_by_reference_unsupported']]);
  });

  it('rejects an unknown model with no_provider_available', async () => {
    const { executor, calls } = executorWith(answered);
    const outcome = await executor.execute(dispatch({ model: 'no-such-model' }));
    expect(calls).toEqual([]);
    expect(outcome.events[0]).toMatchObject({ type: 'QuoteRejected', payload: { code: 'no_provider_available', attempt: 3 } });
  });

  it('does not fail over a request the provider refused as such (it would be refused anywhere)', async () => {
    const { executor, calls } = executorWith(async (r) => Promise.reject(new ProviderRejectedError(r.provider.id, 'too long', 400, 'context_length_exceeded')));
    const outcome = await executor.execute(dispatch());
    expect(calls).toEqual(['bargain']);
    expect(outcome.events.map((e) => e.type)).toEqual(['QuoteAccepted', 'ObjectFailed']);
    expect(outcome.events[1].payload).toMatchObject({ transient: false, code: 'provider_rejected_request' });
  });

  it('fails over a provider that refuses our key, and charges nothing twice: one QuoteAccepted, one outcome', async () => {
    const { executor, calls, warnings } = executorWith(async (r) => (r.provider.id === 'bargain' ? Promise.reject(new ProviderAuthError('bargain', 'bad key', 401)) : answered()));
    const outcome = await executor.execute(dispatch());
    expect(calls).toEqual(['bargain', 'midway']);
    await executor.execute(dispatch());
    // The operator hears of it once, with the variable to fix.
    expect(warnings).toEqual([expect.stringContaining('provider bargain refused its API key (HTTP 401): check SLUICE_PROVIDER_BARGAIN_API_KEY')]);
    expect(outcome.events.map((e) => [e.type, 'providerId' in e.payload ? e.payload.providerId : null])).toEqual([
      ['QuoteAccepted', 'midway'],
      ['ObjectCompleted', 'midway'],
    ]);
    expect(outcome.events[1].payload).toMatchObject({ providerCostMicros: Math.ceil((15 * 90_000) / 1_000_000), inputTokens: 10, outputTokens: 5, latencyMs: 12 });
  });

  it('goes round the providers twice for a batch item due within minutes (no SLA) before it fails, then fails transient', async () => {
    const urgent = (d: Dispatch): Dispatch => ({ ...d, payload: { ...d.payload, routing: undefined, pricing: { kind: 'sla', basePrice: { inputMicrosPerMillion: 200_000, outputMicrosPerMillion: 200_000 }, priceFactor: 1 } } });
    const failedOnce = new Set<string>();
    const flaky = executorWith(async (r) => (failedOnce.has(r.provider.id) ? answered() : (failedOnce.add(r.provider.id), Promise.reject(new ProviderServerError(r.provider.id, 'busy')))));
    const recovered = await flaky.executor.execute(urgent(dispatch()));
    expect(flaky.calls).toEqual(['bargain', 'midway', 'swift', 'bargain']);
    expect(recovered.events.map((e) => [e.type, 'providerId' in e.payload ? e.payload.providerId : null])).toEqual([
      ['QuoteAccepted', 'bargain'],
      ['ObjectCompleted', 'bargain'],
    ]);

    const down = executorWith(async (r) => Promise.reject(new ProviderServerError(r.provider.id, 'down')));
    const failed = await down.executor.execute(urgent(dispatch()));
    expect(down.calls).toEqual(['bargain', 'midway', 'swift', 'bargain', 'midway', 'swift']);
    expect(failed.events.at(-1)).toMatchObject({ type: 'ObjectFailed', payload: { transient: true } });
    // A real-time request goes round once: its customer is waiting on this very call.
    const realtimeDown = executorWith(async (r) => Promise.reject(new ProviderServerError(r.provider.id, 'down')));
    await realtimeDown.executor.execute(dispatch());
    expect(realtimeDown.calls).toEqual(['bargain', 'midway', 'swift']);
  });

  it('an unexpected error becomes a transient router_internal_error', () => {
    const { executor } = executorWith(answered);
    const outcome = executor.internalFailure(dispatch(), new Error('boom'));
    expect(outcome.events[0]).toMatchObject({ type: 'ObjectFailed', payload: { transient: true, code: 'router_internal_error', attempt: 3 } });
  });
});

describe('dispatch execution: usage as each provider family reports it', () => {
  // Stand-ins for Anthropic and Gemini that count differently from Sluice (cache and thinking tokens included).
  const anthropicMessage = {
    id: 'msg_1',
    type: 'message',
    role: 'assistant',
    model: 'claude-haiku-4-5',
    content: [{ type: 'text', text: 'hello' }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 1_200, cache_creation_input_tokens: 100, cache_read_input_tokens: 300, output_tokens: 40 },
  };
  const geminiResponse = {
    candidates: [{ content: { role: 'model', parts: [{ text: 'hello' }] }, finishReason: 'STOP', index: 0 }],
    usageMetadata: { promptTokenCount: 900, candidatesTokenCount: 30, thoughtsTokenCount: 20, totalTokenCount: 950 },
  };
  let server: Server;
  let origin = '';
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.url?.startsWith('/v1/messages') ? anthropicMessage : geminiResponse));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const run = async (model: string) => {
    const familyEndpoints = { 'anthropic-direct': { baseUrl: origin, apiKey: 'k' }, 'gemini-direct': { baseUrl: origin, apiKey: 'k' } };
    const adapter = new ProviderAdapters({ timeoutMs: 5_000, apiOf: (id) => providerApi(findProvider(catalogue, id)) });
    const caller = new LiveCaller({ catalogue, endpoints: familyEndpoints, health: new ProviderHealthBook(), adapter, now: events.now });
    const outcome = await new DispatchExecutor({ catalogue, caller, events }).execute(dispatch({ model, input: { text: 'hi' } }));
    return outcome.events.find((e) => e.type === 'ObjectCompleted')?.payload;
  };

  it("bills Anthropic's input_tokens plus cache tokens, not Sluice's count of the prompt", async () => {
    const price = findProvider(catalogue, 'anthropic-direct').models[0].price;
    expect(await run('claude-haiku')).toMatchObject({ providerId: 'anthropic-direct', inputTokens: 1_600, outputTokens: 40, providerCostMicros: tokenCostMicros(price, 1_600, 40) });
  });

  it("bills Gemini's promptTokenCount, and candidates plus thoughts as output", async () => {
    const price = findProvider(catalogue, 'gemini-direct').models[0].price;
    expect(await run('gemini-flash')).toMatchObject({ providerId: 'gemini-direct', inputTokens: 900, outputTokens: 50, providerCostMicros: tokenCostMicros(price, 900, 50) });
  });
});
