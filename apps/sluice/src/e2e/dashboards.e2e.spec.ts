import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parsePrometheusText, promqlMetrics, type MetricFamily } from '@sluice/testing';
import { callAt, openAccountAt } from './realtime.scenario';
import { startEmbeddedForTest, type TestEngine } from './test-engine';

// The Grafana dashboards of deploy/grafana (the chart's deploy/helm/sluice/dashboards): valid
// dashboard JSON, and every Prometheus query, parsed by the Prometheus server's own PromQL
// parser, reads only metrics that the embedded engine's /metrics exposes.
jest.setTimeout(180_000);

const ROOT = join(__dirname, '..', '..', '..', '..');
const DIR = join(ROOT, 'deploy', 'grafana', 'dashboards');
const ADMIN_KEY = 'sk_admin_e2e_dashboards_0123456789';

/* eslint-disable @typescript-eslint/no-explicit-any -- Grafana's JSON model, checked field by field below */
type Json = any;

interface Dashboard {
  file: string;
  json: Json;
}

const dashboards: Dashboard[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => ({ file, json: JSON.parse(readFileSync(join(DIR, file), 'utf8')) }));

/** Panels with those of rows (collapsed rows keep theirs inside). */
const panelsOf = (d: Json): Json[] => (d.panels as Json[]).flatMap((p) => [p, ...(p.panels ?? [])]);
const variables = (d: Json): Json[] => d.templating?.list ?? [];
const isPrometheus = (ds: Json) => ds?.type === 'prometheus';

/** Grafana's interval variables, which stand where PromQL wants a duration. */
const withGrafanaIntervals = (expr: string) => expr.replace(/\$(__rate_interval|__interval|__range)\b|\$\{(__rate_interval|__interval|__range)\}/g, '5m');

/** Every PromQL expression of a dashboard: Prometheus targets and `label_values(metric, label)` variables. */
function promqlOf(d: Dashboard): { where: string; expr: string }[] {
  const exprs: { where: string; expr: string }[] = [];
  for (const panel of panelsOf(d.json)) {
    for (const target of panel.targets ?? []) {
      if (isPrometheus(target.datasource ?? panel.datasource)) exprs.push({ where: `${d.file} "${panel.title}" ${target.refId}`, expr: target.expr });
    }
  }
  for (const v of variables(d.json).filter((v) => v.type === 'query' && isPrometheus(v.datasource))) {
    const query = typeof v.query === 'string' ? v.query : v.query.query;
    const labelValues = /^label_values\((.+),\s*[a-zA-Z_]\w*\)$/.exec(query.trim());
    exprs.push({ where: `${d.file} variable ${v.name}`, expr: labelValues ? labelValues[1] : query });
  }
  return exprs;
}

/**
 * Names /metrics exposes, by its `# TYPE` lines (a labelled metric nothing has happened to yet
 * has no sample but is declared), with the series names of histograms and summaries.
 */
function exposedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
    else if (type === 'summary') for (const suffix of ['', '_sum', '_count']) names.add(name + suffix);
    else names.add(name);
  }
  return names;
}

/** Each expression's parse error or metric it reads that is not exposed, as "<where>: <problem>". */
function problems(exprs: { where: string; expr: string }[], exposed: Set<string>): string[] {
  const parsed = promqlMetrics(exprs.map((e) => withGrafanaIntervals(e.expr)));
  return exprs.flatMap(({ where, expr }, i) => {
    const { metrics, error } = parsed[i];
    if (error) return [`${where}: ${error} in ${expr}`];
    if (metrics.length === 0) return [`${where}: reads no metric: ${expr}`];
    return metrics.filter((m) => !exposed.has(m)).map((m) => `${where}: ${m || 'a selector without a metric name'} is not in /metrics`);
  });
}

describe('Grafana dashboards (deploy/grafana/dashboards)', () => {
  it('are the five dashboards, each valid Grafana JSON with a unique uid, a Prometheus data source variable and placed panels', () => {
    expect(dashboards.map((d) => d.file)).toEqual(['batch-sla.json', 'money.json', 'overview.json', 'providers.json', 'realtime.json']);
    const uids = dashboards.map((d) => d.json.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const { file, json: d } of dashboards) {
      expect({ file, uid: d.uid }).toEqual({ file, uid: expect.stringMatching(/^[a-zA-Z0-9_-]{1,40}$/) });
      expect({ file, title: d.title, tags: d.tags }).toEqual({ file, title: expect.stringMatching(/^Sluice \/ /), tags: expect.arrayContaining(['sluice']) });
      expect(d.schemaVersion).toBeGreaterThanOrEqual(36);
      expect(d.id ?? null).toBeNull(); // provisioned and imported dashboards get their own id
      expect(variables(d).find((v) => v.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });

      const names = new Set(variables(d).map((v) => v.name));
      const panels = panelsOf(d);
      const ids = panels.map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      const cells = new Set<string>();
      for (const panel of panels) {
        const where = `${file} panel ${panel.id} "${panel.title}"`;
        expect({ where, title: typeof panel.title, type: typeof panel.type }).toEqual({ where, title: 'string', type: 'string' });
        const { x, y, w, h } = panel.gridPos;
        expect({ where, fits: [x, y, w, h].every(Number.isInteger) && x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= 24 }).toEqual({ where, fits: true });
        for (let i = x; i < x + w; i++) {
          for (let j = y; j < y + h; j++) {
            expect({ where, overlaps: cells.has(`${i},${j}`) }).toEqual({ where, overlaps: false });
            cells.add(`${i},${j}`);
          }
        }
        if (panel.type === 'row' || panel.type === 'text') continue;
        expect({ where, targets: panel.targets?.length > 0 }).toEqual({ where, targets: true });
        const refIds = panel.targets.map((t: Json) => t.refId);
        expect({ where, refIds: new Set(refIds).size === refIds.length && refIds.every(Boolean) }).toEqual({ where, refIds: true });
        for (const target of panel.targets) {
          // Every data source is a variable of this dashboard, so it works in any Grafana.
          const ds = target.datasource ?? panel.datasource;
          const variable = /^\$\{(\w+)\}$/.exec(ds?.uid ?? '')?.[1];
          expect({ where, datasource: variable && names.has(variable) }).toEqual({ where, datasource: true });
          if (isPrometheus(ds)) expect({ where, expr: typeof target.expr === 'string' && target.expr.length > 0 }).toEqual({ where, expr: true });
          // Every $variable a query uses is defined (Grafana's own $__ ones aside).
          const used = [...JSON.stringify(target.expr ?? target.query ?? '').matchAll(/\$\{?(\w+)/g)].map((m) => m[1]).filter((n) => !n.startsWith('__'));
          for (const name of used) expect({ where, variable: name, defined: names.has(name) }).toEqual({ where, variable: name, defined: true });
        }
        if (isPrometheus(panel.datasource) && panel.type !== 'table') expect({ where, unit: typeof panel.fieldConfig?.defaults?.unit }).toEqual({ where, unit: 'string' });
      }
    }
  });

  it('link an object id to its trace in Tempo: a TraceQL search on the span attribute Sluice gives every span of an object', () => {
    const overview = dashboards.find((d) => d.file === 'overview.json')!.json;
    expect(variables(overview).find((v) => v.name === 'object_id')).toMatchObject({ type: 'textbox' });
    expect(variables(overview).find((v) => v.name === 'tempo')).toMatchObject({ type: 'datasource', query: 'tempo' });
    const tracePanels = panelsOf(overview).filter((p) => p.datasource?.type === 'tempo');
    expect(tracePanels).toHaveLength(1);
    expect(tracePanels[0].targets).toEqual([expect.objectContaining({ queryType: 'traceql', query: '{ span.sluice.object.id = "${object_id}" }' })]);
    // The link opens that search in Explore on the Tempo data source chosen above.
    const [link] = tracePanels[0].links;
    const panes = JSON.parse(new URL(link.url.replaceAll('${object_id:percentencode}', 'obj-1'), 'http://grafana').searchParams.get('panes')!);
    expect(panes.a.queries[0]).toMatchObject({ datasource: { type: 'tempo', uid: '${tempo}' }, queryType: 'traceql', query: '{ span.sluice.object.id = "obj-1" }' });
    expect(overview.links).toContainEqual(expect.objectContaining({ type: 'link', url: link.url }));
    // The attribute is the one consumer spans (libs/telemetry) and live provider calls (libs/routing) set.
    expect(readFileSync(join(ROOT, 'libs', 'telemetry', 'src', 'spans.ts'), 'utf8')).toContain("attributes['sluice.object.id'] = objectId");
    expect(readFileSync(join(ROOT, 'libs', 'routing', 'src', 'live-call.ts'), 'utf8')).toContain("'sluice.object.id': call.objectId");
  });

  describe('against the embedded engine', () => {
    let engine: TestEngine;
    let text: string;
    beforeAll(async () => {
      engine = await startEmbeddedForTest({ name: 'dashboards', adminKey: ADMIN_KEY });
      const url = engine.sluice.url;
      // One batch task and one real-time request, so every labelled series the panels chart exists.
      const { key } = await openAccountAt(url, ADMIN_KEY, 'dashboards', 1);
      const task = await callAt<{ objects: { status: string }[] }>(url, 'POST', '/v0/infer/', key, [{ model: 'qwen-7b', input: 'Hello model, how are you?' }]);
      expect(task.status).toBe(200);
      const realtime = await callAt(url, 'POST', '/v1/inference', key, { model: 'qwen-7b', input: 'Hi!', max_output_tokens: 32 });
      expect(realtime.status).toBe(200);
      // Billing charges both and the read model projects both from the log: wait for them.
      const scrape = async () => {
        const res = await fetch(`${url}/metrics`);
        expect(res.status).toBe(200);
        const body = await res.text();
        return { body, families: parsePrometheusText(body) }; // valid Prometheus text first
      };
      const count = (families: MetricFamily[], name: string, labels: Record<string, string>) =>
        (families.find((f) => f.name === name)?.samples ?? []).filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + (s.value ?? 0), 0);
      const settled = ({ families }: { families: MetricFamily[] }) => count(families, 'sluice_billing_decisions_total', { kind: 'charged' }) >= 2 && count(families, 'sluice_objects', { status: 'completed' }) >= 2;
      let scraped = await scrape();
      for (const deadline = Date.now() + 30_000; !settled(scraped) && Date.now() < deadline; await sleep(100)) scraped = await scrape();
      expect(settled(scraped)).toBe(true);
      text = scraped.body;
    });
    afterAll(() => engine?.stop());

    it('every panel query and variable parses as PromQL and names only metrics that /metrics exposes', () => {
      const exposed = exposedNames(text);
      const exprs = dashboards.flatMap(promqlOf);
      expect(exprs.length).toBeGreaterThan(40);
      expect(problems(exprs, exposed)).toEqual([]);
      // Each dashboard charts Sluice's own metrics, not only process ones.
      for (const d of dashboards) expect({ file: d.file, sluice: promqlOf(d).some((e) => e.expr.includes('sluice_')) }).toEqual({ file: d.file, sluice: true });
    });

    it('would fail on a query of a metric /metrics does not expose, or on invalid PromQL', () => {
      const exposed = exposedNames(text);
      expect(exposed).toContain('sluice_realtime_overhead_seconds_bucket');
      expect(exposed).not.toContain('sluice_realtime_overhead_seconds');
      expect(
        problems(
          [
            { where: 'a', expr: 'sum(rate(sluice_objects_total[$__rate_interval]))' },
            { where: 'b', expr: 'histogram_quantile(0.99, rate(sluice_realtime_overhead_seconds[5m]))' },
            { where: 'c', expr: 'sum(rate(sluice_http_request_duration_seconds_count[5m]) by' },
            { where: 'd', expr: 'rate(sluice_provider_errors_total{provider=~"$provider"}[${__range}])' },
          ],
          exposed,
        ),
      ).toEqual(['a: sluice_objects_total is not in /metrics', 'b: sluice_realtime_overhead_seconds is not in /metrics', expect.stringMatching(/^c: .*parse error/)]);
      expect(problems([{ where: 'e', expr: 'sum(rate({__name__=~"sluice_.+"}[5m]))' }], exposed)).toEqual(['e: a selector without a metric name is not in /metrics']);
    });
  });
});
