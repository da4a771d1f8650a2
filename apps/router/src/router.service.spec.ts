import { countTokens, findProvider, providerPriceAt, tokenCostMicros } from '@sluice/catalogue';
import { ObjectDispatched, createEvent, type EventOf, type Pricing, type Routing } from '@sluice/events';
import { startServiceHarness, type ServiceHarness } from '@sluice/testing';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { createRouterService } from './service';

jest.setTimeout(60_000);

const accountId = 'acct-router-spec';
const sla: Pricing = { kind: 'sla', basePrice: { inputMicrosPerMillion: 200_000, outputMicrosPerMillion: 200_000 }, priceFactor: 0.5 };
const realtime: Pricing = { kind: 'realtime', markupBps: 1_000 };

function dispatch(
  options: { objectId?: string; attempt?: number; text?: string; pricing?: Pricing; routing?: Routing; avoidProviders?: string[] } = {},
): EventOf<'ObjectDispatched'> {
  const objectId = options.objectId ?? randomUUID();
  return createEvent(
    ObjectDispatched,
    {
      objectId,
      accountId,
      attempt: options.attempt ?? 1,
      work: { model: 'qwen-7b', input: { text: options.text ?? `Say something about ${objectId}` }, maxOutputTokens: 64 },
      deadlineAt: new Date(Date.now() + 3_600_000).toISOString(),
      routing: options.routing,
      pricing: options.pricing ?? sla,
      avoidProviders: options.avoidProviders ?? [],
      escalated: false,
    },
    { correlationId: objectId },
  );
}

const economy: Routing = { profile: 'economy', strategy: 'lowest_cost' };

describe('router service, live dispatch (demo market)', () => {
  let harness: ServiceHarness;
  const calls = (providerId: string) => harness.market?.stats()[providerId].chatCompletions ?? 0;
  const outcomeOf = async (objectId: string, attempt = 1) => {
    const accepted = await harness.waitFor('QuoteAccepted', (e) => e.payload.objectId === objectId && e.payload.attempt === attempt);
    const done = await Promise.race([
      harness.waitFor('ObjectCompleted', (e) => e.payload.objectId === objectId && e.payload.attempt === attempt),
      harness.waitFor('ObjectFailed', (e) => e.payload.objectId === objectId && e.payload.attempt === attempt),
    ]);
    return { accepted, done };
  };

  // A plain one-shot request (no keep-alive pool left behind): what the provider answers when asked directly.
  const askDirectly = (providerId: string, providerModel: string, input: string) =>
    new Promise<{ text: string; inputTokens: number; outputTokens: number }>((resolve, reject) => {
      const body = JSON.stringify({ model: providerModel, messages: [{ role: 'user', content: input }], max_tokens: 64 });
      const req = request(
        `${harness.market?.providers[providerId]}/chat/completions`,
        { method: 'POST', agent: false, headers: { authorization: `Bearer ${harness.market?.apiKeys[providerId]}`, 'content-type': 'application/json' } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const answer = JSON.parse(Buffer.concat(chunks).toString()) as { choices: { message: { content: string } }[]; usage: { prompt_tokens: number; completion_tokens: number } };
            resolve({ text: answer.choices[0].message.content, inputTokens: answer.usage.prompt_tokens, outputTokens: answer.usage.completion_tokens });
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  beforeAll(async () => {
    harness = await startServiceHarness(createRouterService({ providerTimeoutMs: 1_000, rateLimitPatienceMs: 2_000 }), { market: { latencyScale: 0 } });
  });
  afterAll(async () => {
    await harness?.stop();
  });

  it('runs an SLA object on the cheapest live provider; tokens and cost are what the provider answered', async () => {
    const event = dispatch({ text: 'Describe the process of photosynthesis.' });
    await harness.bus.emit([event]);
    const { accepted, done } = await outcomeOf(event.payload.objectId);
    expect(accepted.payload).toMatchObject({ providerId: 'bargain', providerModel: 'Qwen/Qwen2.5-7B-Instruct', mode: 'live' });
    expect(done.type).toBe('ObjectCompleted');
    const direct = await askDirectly('bargain', 'Qwen/Qwen2.5-7B-Instruct', 'Describe the process of photosynthesis.');
    const price = providerPriceAt(findProvider(harness.catalogue, 'bargain'), 'qwen-7b', new Date());
    expect(done.payload).toMatchObject({
      providerId: 'bargain',
      mode: 'live',
      inputTokens: direct.inputTokens,
      outputTokens: direct.outputTokens,
      output: { text: direct.text },
      providerCostMicros: tokenCostMicros(price, direct.inputTokens, direct.outputTokens),
    });
    expect(direct.inputTokens).toBe(countTokens(harness.catalogue, 'qwen-7b', 'Describe the process of photosynthesis.'));
    expect(done.causationId).toBe(event.eventId);
    expect(done.correlationId).toBe(event.correlationId);
  });

  it.each([
    { profile: 'economy', provider: 'bargain' },
    { profile: 'balanced', provider: 'midway' },
    { profile: 'fast', provider: 'swift' },
  ] as const)('a real-time object with the $profile profile runs on $provider', async ({ profile, provider }) => {
    const event = dispatch({ pricing: realtime, routing: { profile, strategy: 'lowest_cost' } });
    const before = calls(provider);
    await harness.bus.emit([event]);
    const { accepted, done } = await outcomeOf(event.payload.objectId);
    expect(accepted.payload.providerId).toBe(provider);
    expect(done).toMatchObject({ type: 'ObjectCompleted', payload: { providerId: provider } });
    expect(calls(provider)).toBe(before + 1);
    expect(accepted.payload.estimatedCustomerPriceMicros).toBe(Math.ceil((accepted.payload.estimatedProviderCostMicros * 11_000) / 10_000));
  });

  it('a price cap no quote meets rejects the object before any provider call', async () => {
    const before = harness.market?.stats();
    const event = dispatch({ pricing: realtime, routing: { ...economy, maxPriceMicros: 1 } });
    await harness.bus.emit([event]);
    const rejected = await harness.waitFor('QuoteRejected', (e) => e.payload.objectId === event.payload.objectId);
    expect(rejected.payload).toMatchObject({ code: 'price_cap_exceeded', attempt: 1 });
    expect(rejected.payload.message).toContain('max_price_usd is $0.000001');
    expect(harness.market?.stats()).toEqual(before);
  });

  it('a latency cap drops the slow quotes, and rejects when none is quick enough', async () => {
    const capped = dispatch({ pricing: realtime, routing: { ...economy, maxLatencyMs: 1_500 } });
    const impossible = dispatch({ pricing: realtime, routing: { ...economy, maxLatencyMs: 10 } });
    await harness.bus.emit([capped, impossible]);
    expect((await outcomeOf(capped.payload.objectId)).accepted.payload.providerId).toBe('midway');
    const rejected = await harness.waitFor('QuoteRejected', (e) => e.payload.objectId === impossible.payload.objectId);
    expect(rejected.payload.code).toBe('latency_cap_exceeded');
  });

  it('the same dispatch delivered twice calls the provider once; a later attempt of a completed object calls none', async () => {
    const event = dispatch();
    const before = calls('bargain');
    await harness.bus.emit([event, event]);
    await outcomeOf(event.payload.objectId);
    // A later attempt of the same object travels on the same partition, after the redelivery:
    // the scheduler escalated it before it read the completion (it lags behind the log).
    await harness.bus.emit([event]);
    const next = dispatch({ objectId: event.payload.objectId, attempt: 2 });
    await harness.bus.emit([next]);
    // A third attempt behind it on the same partition shows when the second was taken.
    const third = dispatch({ objectId: event.payload.objectId, attempt: 3 });
    await harness.bus.emit([third]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(calls('bargain')).toBe(before + 1);
    expect(harness.eventsOf('ObjectCompleted').filter((e) => e.payload.objectId === event.payload.objectId).map((e) => e.payload.attempt)).toEqual([1]);
    expect(harness.eventsOf('QuoteAccepted').filter((e) => e.payload.objectId === event.payload.objectId)).toHaveLength(1);
  });

  describe('with provider failures', () => {
    afterEach(() => {
      for (const id of ['bargain', 'midway', 'swift']) harness.market?.setFailures(id, { rate429: 0, rate5xx: 0, rateTimeout: 0 });
    });

    it('an SLA object gets a transient ObjectFailed naming the provider (the scheduler retries it)', async () => {
      harness.market?.setFailures('bargain', { rate5xx: 1 });
      const event = dispatch();
      await harness.bus.emit([event]);
      const { done } = await outcomeOf(event.payload.objectId);
      expect(done).toMatchObject({ type: 'ObjectFailed', payload: { providerId: 'bargain', transient: true, code: 'provider_server_error' } });
    });

    it('a 429 carries the provider’s Retry-After', async () => {
      harness.market?.setFailures('bargain', { rate429: 1 });
      const event = dispatch();
      await harness.bus.emit([event]);
      const { done } = await outcomeOf(event.payload.objectId);
      expect(done).toMatchObject({ type: 'ObjectFailed', payload: { transient: true, code: 'provider_rate_limited', retryAfterMs: 1_000 } });
    });

    it('a real-time object fails over to the next acceptable provider and completes', async () => {
      harness.market?.setFailures('bargain', { rate429: 1 });
      const stats = harness.market?.stats() ?? {};
      const event = dispatch({ pricing: realtime, routing: economy });
      await harness.bus.emit([event]);
      const { accepted, done } = await outcomeOf(event.payload.objectId);
      expect(accepted.payload.providerId).toBe('midway');
      expect(done).toMatchObject({ type: 'ObjectCompleted', payload: { providerId: 'midway' } });
      expect(harness.market?.stats().bargain.rateLimited).toBe(stats.bargain.rateLimited + 1);
      expect(harness.market?.stats().midway.succeeded).toBe(stats.midway.succeeded + 1);
      expect(harness.eventsOf('ObjectFailed').filter((e) => e.payload.objectId === event.payload.objectId)).toEqual([]);
    });

    it('when every acceptable provider fails, a real-time object ends with all_providers_failed', async () => {
      for (const id of ['bargain', 'midway', 'swift']) harness.market?.setFailures(id, { rate5xx: 1 });
      const stats = harness.market?.stats() ?? {};
      const event = dispatch({ pricing: realtime, routing: { ...economy, maxLatencyMs: 1_500 } });
      await harness.bus.emit([event]);
      const { done } = await outcomeOf(event.payload.objectId);
      expect(done).toMatchObject({ type: 'ObjectFailed', payload: { code: 'all_providers_failed', transient: false } });
      // bargain is over the latency cap: never tried.
      expect(harness.market?.stats().bargain.chatCompletions).toBe(stats.bargain.chatCompletions);
      expect(harness.market?.stats().midway.serverErrors).toBe(stats.midway.serverErrors + 1);
      expect(harness.market?.stats().swift.serverErrors).toBe(stats.swift.serverErrors + 1);
    });

    it('a provider that hangs times out, and a real-time object fails over to the next quickest', async () => {
      harness.market?.setFailures('swift', { rateTimeout: 1 });
      const event = dispatch({ pricing: realtime, routing: { profile: 'fast', strategy: 'lowest_cost' } });
      await harness.bus.emit([event]);
      const { accepted, done } = await outcomeOf(event.payload.objectId);
      expect(accepted.payload.providerId).toBe('midway');
      expect(done.type).toBe('ObjectCompleted');
      expect(harness.market?.stats().swift.timedOut).toBeGreaterThan(0);
    });

    it('a provider that hangs holds back no object on another provider', async () => {
      harness.market?.setFailures('swift', { rateTimeout: 1 });
      // A provider an SLA object avoids is tried last: these go to swift, the others to bargain.
      const stalled = Array.from({ length: 12 }, () => dispatch({ avoidProviders: ['bargain', 'midway'] }));
      const others = Array.from({ length: 24 }, () => dispatch());
      await harness.bus.emit([...stalled, ...others]);
      await Promise.all(others.map((e) => harness.waitFor('ObjectCompleted', (c) => c.payload.objectId === e.payload.objectId)));
      await Promise.all(stalled.map((e) => harness.waitFor('ObjectFailed', (f) => f.payload.objectId === e.payload.objectId)));
      // Every object on bargain was recorded before the first call to swift gave up (its timeout).
      const log = harness.events();
      const ids = (list: typeof others) => new Set(list.map((e) => e.payload.objectId));
      const [otherIds, stalledIds] = [ids(others), ids(stalled)];
      const lastOther = Math.max(...log.flatMap((e, i) => (e.type === 'ObjectCompleted' && otherIds.has(e.payload.objectId) ? [i] : [])));
      const firstTimeout = log.findIndex((e) => e.type === 'ObjectFailed' && stalledIds.has(e.payload.objectId));
      expect(lastOther).toBeLessThan(firstTimeout);
      expect(log.filter((e) => e.type === 'ObjectFailed' && stalledIds.has(e.payload.objectId)).map((e) => 'code' in e.payload && e.payload.code)).toEqual(stalled.map(() => 'provider_timeout'));
    });

    it('a provider that failed the object before is tried last', async () => {
      const event = dispatch({ avoidProviders: ['bargain'] });
      await harness.bus.emit([event]);
      expect((await outcomeOf(event.payload.objectId)).accepted.payload.providerId).toBe('midway');
    });
  });
});

describe('router service, provider limits (demo market on its own thread, limits enforced)', () => {
  let harness: ServiceHarness;
  const calls = (providerId: string) => harness.market?.stats()[providerId].chatCompletions ?? 0;
  const completedAll = (events: EventOf<'ObjectDispatched'>[]) =>
    Promise.all(events.map((e) => harness.waitFor('ObjectCompleted', (c) => c.payload.objectId === e.payload.objectId, 30_000)));
  // An SLA object avoiding bargain runs on midway (rpm 600 in the demo catalogue).
  const onMidway = () => dispatch({ avoidProviders: ['bargain'] });

  beforeAll(async () => {
    harness = await startServiceHarness(createRouterService({ providerTimeoutMs: 2_000, limitDemoProviders: true }), { market: { latencyScale: 0, retryAfterMs: 100 }, marketThread: true });
  });
  afterAll(async () => {
    await harness?.stop();
  });
  afterEach(() => harness.market?.setFailures('midway', { rate429: 0 }));

  it('a provider with rpm 600 is never sent more than 10 requests in any one second', async () => {
    expect(findProvider(harness.catalogue, 'midway').rateLimits.rpm).toBe(600);
    const events = Array.from({ length: 35 }, onMidway);
    // The market counts on its own thread; samples of its count every few milliseconds: any two
    // samples less than a second apart may differ by 10 at most.
    const samples: { at: number; count: number }[] = [];
    const sampler = setInterval(() => samples.push({ at: performance.now(), count: calls('midway') }), 5);
    const before = calls('midway');
    await harness.bus.emit(events);
    const done = await completedAll(events).finally(() => clearInterval(sampler));
    expect(done.every((c) => c.payload.providerId === 'midway')).toBe(true);
    expect(calls('midway')).toBe(before + 35);
    const busiest = Math.max(...samples.map((s) => Math.max(...samples.filter((t) => t.at >= s.at && t.at - s.at < 1_000).map((t) => t.count - s.count))));
    expect(busiest).toBeLessThanOrEqual(10);
    // 35 calls at 10 a second, sampled throughout.
    expect(samples.at(-1)!.at - samples[0].at).toBeGreaterThan(3_000);
  });
  it('a 429 storm slows the provider down without failing an object', async () => {
    harness.market?.setFailures('midway', { rate429: 0.5 });
    const before = harness.market?.stats().midway.rateLimited ?? 0;
    const events = Array.from({ length: 20 }, onMidway);
    await harness.bus.emit(events);
    const done = await completedAll(events);
    expect(done.every((c) => c.payload.providerId === 'midway')).toBe(true);
    expect(harness.market?.stats().midway.rateLimited).toBeGreaterThan(before);
    const ids = new Set(events.map((e) => e.payload.objectId));
    expect(harness.eventsOf('ObjectFailed').filter((f) => ids.has(f.payload.objectId))).toEqual([]);
  });
});

describe('router service, a stop with a call open at a provider', () => {
  it('runs the pending call again at the next start and records its outcome once', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sluice-router-restart-'));
    try {
      const first = await startServiceHarness(createRouterService({ providerTimeoutMs: 60_000 }), { dataDir, market: { latencyScale: 0 } });
      first.market?.setFailures('swift', { rateTimeout: 1 });
      const event = dispatch({ avoidProviders: ['bargain', 'midway'] });
      await first.bus.emit([event]);
      // The call hangs at swift: its pending row was committed before it started.
      for (let i = 0; i < 100 && (first.market?.stats().swift.timedOut ?? 0) === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(first.market?.stats().swift.timedOut).toBe(1);
      await first.stop();
      expect(first.eventsOf('QuoteAccepted').filter((e) => e.payload.objectId === event.payload.objectId)).toEqual([]);

      const second = await startServiceHarness(createRouterService({ providerTimeoutMs: 5_000 }), { dataDir, market: { latencyScale: 0 } });
      try {
        const done = await second.waitFor('ObjectCompleted', (e) => e.payload.objectId === event.payload.objectId);
        expect(done.payload).toMatchObject({ providerId: 'swift', attempt: 1 });
        await new Promise((r) => setTimeout(r, 500));
        expect(second.eventsOf('ObjectCompleted').filter((e) => e.payload.objectId === event.payload.objectId)).toHaveLength(1);
        expect(second.eventsOf('QuoteAccepted').filter((e) => e.payload.objectId === event.payload.objectId)).toHaveLength(1);
        expect(second.market?.stats().swift.chatCompletions).toBe(1);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
