/**
 * The floor under bench:realtime: the same client and the same demo market thread, with
 * Sluice replaced by the least a Node gateway can do, a Fastify route that parses the body,
 * calls the provider through the official `openai` SDK (as Sluice's adapter does) and answers.
 * No auth, quoting, holds, log or databases. What it costs per request, and where its latency
 * stands at a rate, bound what any Node gateway on this machine can reach.
 *
 *   npm run bench:realtime-floor -- [--rates 200,1000] [--seconds 10]
 *
 * Prints one JSON line per rate, in bench:realtime's shape.
 */
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import OpenAI from 'openai';
import { startDemoMarketThread } from '@sluice/demo-market';
import { loadCatalogueOrFail } from '@sluice/platform';
import { latencySummary, round } from '../exchange/harness';
import type { OverheadClientSettings } from './overhead.client';
import { runOverheadClient } from './run-client';

const { values: args } = parseArgs({
  options: {
    rates: { type: 'string', default: '200,1000' },
    seconds: { type: 'string', default: '10' },
  },
});


async function main() {
  const catalogue = loadCatalogueOrFail();
  const market = await startDemoMarketThread(catalogue, { latencyScale: 0 });
  const provider = new OpenAI({ baseURL: market.providers.swift, apiKey: market.apiKeys.swift ?? 'none', maxRetries: 0 });
  const app = Fastify();
  let served = 0;
  app.post('/v1/inference', async (req) => {
    const body = req.body as { input: string; max_output_tokens: number };
    const { data, response } = await provider.chat.completions
      .create({ model: 'qwen-2.5-7b', messages: [{ role: 'user', content: body.input }], max_tokens: body.max_output_tokens })
      .withResponse();
    return {
      id: `floor-${++served}`,
      output: data.choices[0]?.message.content,
      usage: data.usage,
      performance: { provider_latency_ms: Number(response.headers.get('openai-processing-ms') ?? 0) },
    };
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const settings = (rate: number, seconds: number, tag: string): OverheadClientSettings => ({
    url,
    key: 'none',
    rate,
    seconds,
    maxOutputTokens: 32,
    profile: 'fast',
    tag,
    endpoint: 'inference',
    stream: false,
  });
  try {
    await runOverheadClient(settings(100, 2, 'warm-up'));
    for (const rate of args.rates.split(',').map(Number)) {
      const loopBefore = performance.eventLoopUtilization();
      const cpuBefore = process.cpuUsage();
      const { samples, sentInSeconds } = await runOverheadClient(settings(rate, Number(args.seconds), `rate-${rate}`));
      const loop = performance.eventLoopUtilization(loopBefore);
      const cpu = process.cpuUsage(cpuBefore);
      const ok = samples.filter((s) => s.status === 200 && s.providerMs !== undefined);
      console.log(
        JSON.stringify({
          gateway: 'floor (Fastify + openai SDK, nothing else)',
          targetRate: rate,
          achievedSendRate: round(samples.length / sentInSeconds),
          requests: samples.length,
          succeeded: ok.length,
          overheadMs: latencySummary(ok.map((s) => s.ms - s.providerMs!)),
          gatewayThreadBusy: round(loop.utilization),
          // Client, demo market and gateway threads together, per request sent.
          cpuMsPerRequest: round((cpu.user + cpu.system) / 1000 / samples.length),
        }),
      );
    }
  } finally {
    await app.close();
    await market.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
