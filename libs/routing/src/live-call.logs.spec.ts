import { loadCatalogue } from '@sluice/catalogue';
import { ProviderServerError, type CompletionRequest, type CompletionResult } from '@sluice/providers';
import { captureLogs, metricsRegistry } from '@sluice/telemetry';
import { LiveCaller } from './live-call';
import { ProviderHealthBook } from './provider-health';
import type { Quote } from './quote';

const catalogue = loadCatalogue();
const KEY = 'sk-live-0123456789abcdefSECRET';
const endpoints = Object.fromEntries(catalogue.providers.map((p) => [p.id, { baseUrl: `http://127.0.0.1/${p.id}/v1`, apiKey: KEY }]));
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const PROMPT = 'the customer prompt that must never be logged';
const [first, second] = catalogue.providers.filter((p) => p.models.some((m) => m.model === 'qwen-7b'));
const quoteOf = (providerId: string) => ({ providerId, providerModel: 'qwen-7b', price: { inputMicrosPerMillion: 1, outputMicrosPerMillion: 1 } }) as unknown as Quote;
const call = { model: 'qwen-7b', input: PROMPT, maxOutputTokens: 16, traceparent: TRACEPARENT, objectId: 'obj-1' };

function callerFailing(failing: string) {
  const adapter = {
    complete: async (request: CompletionRequest): Promise<CompletionResult> => {
      // A provider that echoes the request's credentials in its error, as some do.
      if (request.provider.id === failing) throw new ProviderServerError(failing, `HTTP 500 for key ${KEY} (Authorization: Bearer ${KEY})`, 500);
      return { text: 'fine', inputTokens: 3, outputTokens: 2, latencyMs: 5, finishReason: 'stop' };
    },
  };
  return new LiveCaller({ catalogue, endpoints, health: new ProviderHealthBook(), adapter, now: () => new Date() });
}

const counter = async (name: string, labels: Record<string, string>) => {
  const metric = (await metricsRegistry.getMetricsAsJSON()).find((m) => m.name === name);
  return metric?.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))?.value ?? 0;
};

describe('a provider failure in the logs and metrics', () => {
  it('is one JSON line with the trace and the provider, and neither the key nor the prompt', async () => {
    const logs = captureLogs();
    const outcome = await callerFailing(first.id).failover([quoteOf(first.id)], call);
    logs.restore();
    expect(outcome.served).toBeNull();
    expect(logs.lines()).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: 'provider call failed',
        trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
        provider: first.id,
        objectId: 'obj-1',
        code: 'provider_server_error',
      }),
    ]);
    expect(logs.raw().join('\n')).not.toContain(KEY.slice(8));
    expect(logs.raw().join('\n')).not.toContain(PROMPT);
  });

  it('names the provider failed over to, and counts the failover and the error', async () => {
    const labels = { provider: first.id, model: 'qwen-7b' };
    const [failovers, errors] = [await counter('sluice_provider_failovers_total', labels), await counter('sluice_provider_errors_total', { ...labels, code: 'provider_server_error' })];
    const logs = captureLogs();
    const outcome = await callerFailing(first.id).failover([quoteOf(first.id), quoteOf(second.id)], call);
    logs.restore();
    expect(outcome.served?.quote.providerId).toBe(second.id);
    expect(logs.lines()).toEqual([expect.objectContaining({ msg: 'provider call failed, failing over', provider: first.id, failoverTo: second.id, trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' })]);
    expect(await counter('sluice_provider_failovers_total', labels)).toBe(failovers + 1);
    expect(await counter('sluice_provider_errors_total', { ...labels, code: 'provider_server_error' })).toBe(errors + 1);
  });
});
