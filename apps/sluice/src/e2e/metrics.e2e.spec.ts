import { setTimeout as sleep } from 'node:timers/promises';
import { parsePrometheusText, type MetricFamily } from '@sluice/testing';
import { callAt, openAccountAt, usdToMicros } from './realtime.scenario';
import { startEmbeddedForTest, type TestEngine } from './test-engine';

jest.setTimeout(120_000);

const ADMIN_KEY = 'sk_admin_e2e_metrics_0123456789abc';

/** GET /metrics, read by the Prometheus project's own parser: every family typed, none twice. */
async function scrape(url: string): Promise<Map<string, MetricFamily>> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const families = parsePrometheusText(await res.text());
  expect(families.filter((f) => f.type === 'UNTYPED')).toEqual([]);
  return new Map(families.map((f) => [f.name, f]));
}

/** The sum over the samples of `name` whose labels include `labels` (histograms: their count). */
function total(families: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}): number {
  const family = families.get(name);
  if (!family) return 0;
  return family.samples
    .filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + (family.type === 'HISTOGRAM' ? (s.count ?? 0) : (s.value ?? 0)), 0);
}

describe('GET /metrics on the embedded engine', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startEmbeddedForTest({ name: 'metrics', adminKey: ADMIN_KEY });
  });
  afterAll(() => engine?.stop());

  it('moves by exactly one batch task and one real-time request, the services thread included', async () => {
    const url = engine.sluice.url;
    const { key } = await openAccountAt(url, ADMIN_KEY, 'metrics', 1);
    const before = await scrape(url);
    expect(total(before, 'sluice_billing_micros_total', { kind: 'credited' })).toBe(usdToMicros(1));

    const task = await callAt<{ objects: { status: string }[] }>(url, 'POST', '/v0/infer/', key, [{ model: 'qwen-7b', input: 'Hello model, how are you?' }]);
    expect(task.status).toBe(200);
    expect(task.body.objects[0].status).toBe('completed');
    const realtime = await callAt<{ billing: { cost_usd: number } }>(url, 'POST', '/v1/inference', key, { model: 'qwen-7b', input: 'Hi!', max_output_tokens: 32 });
    expect(realtime.status).toBe(200);

    // Billing charges both, and the read model projects both, from the log: wait for them.
    const settled = (m: Map<string, MetricFamily>) => total(m, 'sluice_billing_decisions_total', { kind: 'charged' }) >= 2 && total(m, 'sluice_objects', { status: 'completed' }) >= 2;
    let after = await scrape(url);
    for (const deadline = Date.now() + 30_000; !settled(after) && Date.now() < deadline; await sleep(100)) after = await scrape(url);
    const moved = (name: string, labels: Record<string, string> = {}) => total(after, name, labels) - total(before, name, labels);

    const balance = await callAt<{ current_balance_usd: number }>(url, 'GET', '/v1/balance', key);
    const spentMicros = usdToMicros(1) - usdToMicros(balance.body.current_balance_usd);
    expect(moved('sluice_billing_decisions_total', { kind: 'reserved' })).toBe(2);
    expect(moved('sluice_billing_decisions_total', { kind: 'charged' })).toBe(2);
    expect(moved('sluice_billing_decisions_total', { kind: 'released' })).toBe(0);
    expect(moved('sluice_billing_micros_total', { kind: 'charged' })).toBe(spentMicros);
    expect(moved('sluice_billing_micros_total', { kind: 'credited' })).toBe(0);

    expect(moved('sluice_http_request_duration_seconds', { method: 'POST', route: '/v0/infer', status: '200' })).toBe(1);
    expect(moved('sluice_http_request_duration_seconds', { method: 'POST', route: '/v1/inference', status: '200' })).toBe(1);
    expect(moved('sluice_realtime_overhead_seconds')).toBe(1);
    // One call from the router (services thread), one from the gateway (main thread); none failed.
    expect(moved('sluice_provider_call_duration_seconds', { outcome: 'ok' })).toBe(2);
    expect(moved('sluice_provider_call_duration_seconds', { outcome: 'error' })).toBe(0);
    expect(moved('sluice_provider_errors_total')).toBe(0);
    expect(moved('sluice_provider_failovers_total')).toBe(0);
    expect(moved('sluice_objects', { status: 'completed' })).toBe(2);
    expect(total(after, 'sluice_sla_missed_objects')).toBe(0);

    // Consumer groups of both threads report their lag; the process's RSS is reported once.
    const groups = new Set(after.get('sluice_consumer_lag')?.samples.map((s) => s.labels.group));
    for (const group of ['api-read-models', 'billing-objects', 'scheduler-scheduling']) expect(groups).toContain(group);
    expect(after.get('process_resident_memory_bytes')?.samples).toHaveLength(1);
    const loops = after.get('nodejs_eventloop_lag_seconds')?.samples.map((s) => s.labels.thread ?? 'main');
    expect(loops?.sort()).toEqual(['main', 'services']);
  });
});
