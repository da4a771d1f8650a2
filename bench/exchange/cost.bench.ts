/**
 * Cost benchmark: what the exchange pays providers for SLA work, against what the same work
 * would cost on demand, and whether it kept the deadlines. Target: ratio ≤ 0.30 for 24 h SLAs
 * with 100% SLA attainment.
 *
 *   npm run bench:cost -- [--objects 300] [--workloads 60:600,1440:600] [--latency-scale 0.01]
 *                         [--origin 2026-01-14T12:00:00.000Z] [--models qwen-7b,llama-3.1-8b,...]
 *                         [--catalogue config/catalogue.example.json]
 *
 * --catalogue runs another catalogue's market offline: its prices, schedules, latencies and batch
 * APIs, every provider served by the demo market (`demo://<id>`, in its own wire format); --models
 * then defaults to every model the catalogue offers.
 *
 * Each workload `sla:timeScale` starts a fresh Sluice with SLUICE_TIME_SCALE=timeScale (simulated
 * time runs that much faster), the demo market at SLUICE_DEMO_LATENCY_SCALE=--latency-scale and
 * the simulated clock starting at --origin (noon UTC by default: peak prices, the off-peak window
 * 4.5 h later; but the clock starts with the process, so the start-up delay × timeScale passes
 * before the POST: `submittedAtSim` reports when it landed). Both default workloads run at 600×
 * (a simulated day in 2.4 real minutes): at 3000× a second of queueing on a loaded machine is
 * 50 simulated minutes, and work planned for the start of an off-peak window can run after it
 * has closed, at a price the plan never chose. It posts --objects items with that
 * SLA over the demo models (or --models) in turn (one body; each input padded with a shared ~250-token
 * context so per-object costs are tens of micro-dollars and rounding up to whole micros, as
 * providers bill, hardly matters; outputs are the demo market's 16–143 tokens), follows the objects topic from its start, and waits until every object has completed or
 * been abandoned (bounded: the SLA in real time plus a margin).
 *
 *   realised  = Σ ObjectCompleted.payload.providerCostMicros (what the providers were paid)
 *   onDemand  = Σ over the same completed objects of the MEDIAN, over the providers serving the
 *               model, of tokenCostMicros(providerPriceAt(provider, model, submittedAt), the
 *               object's actual input and output tokens) — the live list price in force at
 *               ObjectSubmitted.occurredAt (simulated time), no batch discount
 *   cheapest  = the same with the CHEAPEST provider's live list cost at submission instead of the
 *               median: what a price-sorted router sending each object at once would pay
 *   ratio     = realised / onDemand (overall and per model); ratioToCheapestNow = realised / cheapest
 *   attained  = share of submitted objects whose ObjectCompleted.occurredAt ≤ ObjectSubmitted
 *               .payload.deadlineAt (both simulated time); abandoned objects count as missed
 *
 * Prints one JSON line with one entry per workload.
 */
import { loadCatalogue, providerPriceAt, providersFor, tokenCostMicros } from '@sluice/catalogue';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { DEMO_MODELS, call, items, openAccount, round, startExchange, watchObjects, runBenchmark } from './harness';

const { values: args } = parseArgs({
  options: {
    objects: { type: 'string', default: '300' },
    workloads: { type: 'string', default: '60:600,1440:600' },
    'latency-scale': { type: 'string', default: '0.01' },
    origin: { type: 'string', default: '2026-01-14T12:00:00.000Z' },
    models: { type: 'string' },
    catalogue: { type: 'string' },
  },
});
const OBJECTS = Number(args.objects);
const LATENCY_SCALE = args['latency-scale'];
const catalogue = args.catalogue ? loadCatalogue(args.catalogue) : loadCatalogue();
const MODELS = args.models?.split(',') ?? (args.catalogue ? catalogue.models.filter((m) => providersFor(catalogue, m.id).length > 0).map((m) => m.id) : [...DEMO_MODELS]);
/** The catalogue the exchange runs on: --catalogue's with every provider on the demo market. */
const CATALOGUE_ENV: Record<string, string> = args.catalogue ? { SLUICE_CATALOGUE: offlineCopy() } : {};

function offlineCopy(): string {
  const offline = { ...catalogue, providers: catalogue.providers.map((p) => ({ ...p, baseUrl: `demo://${p.id}` })) };
  const path = join(mkdtempSync(join(tmpdir(), 'sluice-bench-cost-')), 'catalogue.json');
  writeFileSync(path, JSON.stringify(offline));
  return path;
}
const CONTEXT = Array.from({ length: 12 }, (_, i) => `Paragraph ${i + 1}: the exchange routes each request to a provider whose price and latency fit the profile.`).join(' ');

interface Submitted {
  model: string;
  submittedAt: Date;
  deadlineAt: number;
}
interface Completed {
  providerId: string;
  mode: string;
  inputTokens: number;
  outputTokens: number;
  providerCostMicros: number;
  at: number;
}

const median = (values: number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

const liveCosts = (sub: Submitted, done: Completed): number[] =>
  providersFor(catalogue, sub.model).map(({ provider }) => tokenCostMicros(providerPriceAt(provider, sub.model, sub.submittedAt), done.inputTokens, done.outputTokens));
/** The on-demand reference: the median over the model's providers of the live list cost at submission. */
const onDemandMicros = (sub: Submitted, done: Completed): number => median(liveCosts(sub, done));
/** What a price-sorted router pays: the cheapest provider's live list cost at submission. */
const cheapestNowMicros = (sub: Submitted, done: Completed): number => Math.min(...liveCosts(sub, done));

async function runWorkload(sla: number, timeScale: number) {
  const ex = await startExchange({ SLUICE_TIME_SCALE: String(timeScale), SLUICE_DEMO_LATENCY_SCALE: LATENCY_SCALE, SLUICE_CLOCK_ORIGIN: args.origin!, ...CATALOGUE_ENV });
  try {
    const { key, accountId } = await openAccount(ex, `bench-cost-${sla}`, 10_000);
    const submitted = new Map<string, Submitted>();
    const completed = new Map<string, Completed>();
    const abandoned = new Map<string, string>();
    const sub = await watchObjects(ex, true, (event) => {
      if (!('accountId' in event.payload) || event.payload.accountId !== accountId) return;
      if (event.type === 'ObjectSubmitted') {
        const p = event.payload;
        submitted.set(p.objectId, { model: p.model, submittedAt: new Date(event.occurredAt), deadlineAt: Date.parse(p.deadlineAt) });
      } else if (event.type === 'ObjectCompleted') {
        const p = event.payload;
        completed.set(p.objectId, { ...p, at: Date.parse(event.occurredAt) });
      } else if (event.type === 'ObjectAbandoned') {
        abandoned.set(event.payload.objectId, event.payload.code);
      }
    });

    const startedReal = Date.now();
    const reply = await call(ex.url, 'POST', '/v0/infer/', key, items(OBJECTS, sla, 0, MODELS).map((it) => ({ ...it, input: `${CONTEXT}\n\n${it.input}` })));
    if (reply.status !== 200) throw new Error(`POST answered ${reply.status}: ${JSON.stringify(reply.body).slice(0, 300)}`);
    // The window lasts sla/timeScale real minutes; allow twice that plus two minutes.
    const giveUpAt = startedReal + (2 * sla * 60_000) / timeScale + 120_000;
    while ((submitted.size < OBJECTS || completed.size + abandoned.size < OBJECTS) && Date.now() < giveUpAt) await sleep(250);
    const realSeconds = (Date.now() - startedReal) / 1000;
    await sub.stop();

    let realised = 0;
    let onDemand = 0;
    let cheapestNow = 0;
    let onTime = 0;
    const byModel: Record<string, { objects: number; realised: number; onDemand: number }> = {};
    const routes: Record<string, number> = {};
    for (const [objectId, done] of completed) {
      const s = submitted.get(objectId)!;
      const reference = onDemandMicros(s, done);
      realised += done.providerCostMicros;
      onDemand += reference;
      cheapestNow += cheapestNowMicros(s, done);
      if (done.at <= s.deadlineAt) onTime += 1;
      const m = (byModel[s.model] ??= { objects: 0, realised: 0, onDemand: 0 });
      m.objects += 1;
      m.realised += done.providerCostMicros;
      m.onDemand += reference;
      routes[`${done.providerId}/${done.mode}`] = (routes[`${done.providerId}/${done.mode}`] ?? 0) + 1;
    }
    const lastAt = Math.max(...[...completed.values()].map((c) => c.at));
    const firstSubmit = Math.min(...[...submitted.values()].map((s) => s.submittedAt.getTime()));
    return {
      slaMinutes: sla,
      timeScale,
      objects: OBJECTS,
      submittedAtSim: new Date(firstSubmit).toISOString(),
      completed: completed.size,
      abandoned: Object.fromEntries([...new Set(abandoned.values())].map((c) => [c, [...abandoned.values()].filter((v) => v === c).length])),
      slaAttainment: round(onTime / OBJECTS, 4),
      costRatio: round(realised / onDemand, 3),
      ratioToCheapestNow: round(realised / cheapestNow, 3),
      realisedUsd: round(realised / 1e6, 4),
      onDemandUsd: round(onDemand / 1e6, 4),
      byModel: Object.fromEntries(Object.entries(byModel).map(([m, v]) => [m, { objects: v.objects, ratio: round(v.realised / v.onDemand, 3) }])),
      routes,
      lastCompletedSimMinutes: round((lastAt - firstSubmit) / 60_000, 1),
      realSeconds: round(realSeconds, 1),
    };
  } finally {
    await ex.stop();
  }
}

async function main() {
  const workloads = [];
  for (const w of args.workloads!.split(',')) {
    const [sla, scale] = w.split(':').map(Number);
    workloads.push(await runWorkload(sla, scale));
  }
  console.log(JSON.stringify({ bench: 'cost', catalogue: args.catalogue ?? 'demo', latencyScale: Number(LATENCY_SCALE), origin: args.origin, models: MODELS, onDemand: 'median provider live list price at submission', workloads }));
}

runBenchmark(main);
