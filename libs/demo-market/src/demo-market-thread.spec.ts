import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDemoMarket } from './demo-market';
import { startDemoMarketThread } from './demo-market-thread';
import type { DemoMarket } from './demo-market.types';
import { catalogue } from './spec-catalogue';

jest.setTimeout(60_000);

interface WireBody {
  created: number;
  choices: { message: { content: string } }[];
  usage: { prompt_tokens: number; completion_tokens: number };
}

const ask = (market: DemoMarket, content: string) =>
  fetch(`${market.providers.quick}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${market.apiKeys.quick}` },
    body: JSON.stringify({ model: 'llama3.1-8b', messages: [{ role: 'user', content }] }),
  });

describe('demo market on a worker thread', () => {
  const origin = Date.UTC(2030, 0, 1);
  let market: DemoMarket;
  beforeAll(async () => {
    market = await startDemoMarketThread(catalogue, { latencyScale: 0, seed: 'thread-spec' }, { scale: 60, originMs: origin, realOriginMs: Date.now() });
  });
  afterAll(() => market?.stop());
  beforeEach(() => market.resetStats());

  it('gives the answers the market in this thread gives, stamped with the simulated clock', async () => {
    const here = await startDemoMarket(catalogue, { latencyScale: 0, seed: 'thread-spec' });
    try {
      const prompt = 'Explain provider batch APIs in one sentence.';
      const [fromThread, fromHere] = [(await (await ask(market, prompt)).json()) as WireBody, (await (await ask(here, prompt)).json()) as WireBody];
      expect(fromThread.choices[0].message.content).toBe(fromHere.choices[0].message.content);
      expect(fromThread.usage).toEqual(fromHere.usage);
      // 60× from 2030-01-01: a few real seconds are a few simulated minutes.
      expect(fromThread.created).toBeGreaterThanOrEqual(origin / 1000);
      expect(fromThread.created).toBeLessThan(origin / 1000 + 3_600);
    } finally {
      await here.stop();
    }
  });

  it('counts calls and takes injected failures at once, without waiting for the thread', async () => {
    market.setFailures('quick', { rate5xx: 1 });
    expect([500, 503]).toContain((await ask(market, 'one')).status);
    market.setFailures('quick', { rate5xx: 0, rate429: 1 });
    expect((await ask(market, 'two')).status).toBe(429);
    market.setFailures('quick', { rate429: 0 });
    expect((await ask(market, 'three')).status).toBe(200);
    expect(market.stats().quick).toMatchObject({ chatCompletions: 3, serverErrors: 1, rateLimited: 1, succeeded: 1 });
    market.resetStats();
    expect(market.stats().quick.chatCompletions).toBe(0);
    expect(() => market.setFailures('nobody', { rate5xx: 1 })).toThrow(/no provider "nobody"/);
  });

  it('closes its servers when stopped', async () => {
    const other = await startDemoMarketThread(catalogue, { latencyScale: 0 });
    expect((await ask(other, 'hello')).status).toBe(200);
    await other.stop();
    await expect(ask(other, 'hello')).rejects.toThrow();
  });
});

describe('a demo market thread that ends on its own', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'sluice-market-thread-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  // A stand-in for demo-market.worker that starts, then throws.
  const throwing = `
const { parentPort } = require('node:worker_threads');
parentPort.once('message', () => parentPort.postMessage({ kind: 'stopped' }));
parentPort.postMessage({ kind: 'started', providers: {}, apiKeys: {} });
setTimeout(() => { throw new Error('boom in the market'); }, 20);
`;

  it('is lost, with the error, and can still be stopped', async () => {
    const file = join(dir, 'throwing.js');
    writeFileSync(file, throwing);
    const market = await startDemoMarketThread(catalogue, {}, undefined, { file, execArgv: [] });
    const timeout = new AbortController();
    const reason = await Promise.race([market.lost, sleep(5_000, new Error('not lost'), { signal: timeout.signal })]).finally(() => timeout.abort());
    expect(reason?.message).toBe('boom in the market');
    await market.stop();
  });
});
