import { countPromptTokens, countTokens, loadCatalogue } from '@sluice/catalogue';
import { UNREPORTED_USAGE, type CompletionResult } from '@sluice/providers';
import { captureLogs } from '@sluice/telemetry';
import { LiveCaller, completedCallFields } from './live-call';
import { ProviderHealthBook } from './provider-health';
import type { Quote } from './quote';

const catalogue = loadCatalogue();
const endpoints = Object.fromEntries(catalogue.providers.map((p) => [p.id, { baseUrl: `http://127.0.0.1/${p.id}/v1`, apiKey: 'k' }]));
const [provider] = catalogue.providers.filter((p) => p.models.some((m) => m.model === 'qwen-7b'));
const quote = { providerId: provider.id, providerModel: 'qwen-7b', price: { inputMicrosPerMillion: 1_000_000, outputMicrosPerMillion: 2_000_000 } } as unknown as Quote;
const OUTPUT = 'Event sourcing stores every change as an event and derives state from them.';
const call = { model: 'qwen-7b', input: [{ role: 'system' as const, content: 'be brief' }, { role: 'user' as const, content: 'What is event sourcing?' }], maxOutputTokens: 64, objectId: 'obj-1' };

function callerAnswering(result: CompletionResult) {
  return new LiveCaller({ catalogue, endpoints, health: new ProviderHealthBook(), adapter: { complete: async () => result }, now: () => new Date() });
}

describe('usage a provider did not report', () => {
  it("is billed on Sluice's own count of what was sent and what came back, and the operator is told once", async () => {
    const caller = callerAnswering({ text: OUTPUT, ...UNREPORTED_USAGE, latencyMs: 5, finishReason: 'stop' });
    const logs = captureLogs();
    const outcomes = [await caller.call(quote, call), await caller.call(quote, call)];
    logs.restore();
    const counted = { inputTokens: countPromptTokens(catalogue, 'qwen-7b', call.input), outputTokens: countTokens(catalogue, 'qwen-7b', OUTPUT) };
    expect(counted.inputTokens).toBeGreaterThan(0);
    expect(counted.outputTokens).toBeGreaterThan(0);
    for (const outcome of outcomes) {
      if (!outcome.ok) throw new Error('the call should have been served');
      expect(outcome.result).toMatchObject({ ...counted, usageUnreported: true });
      expect(completedCallFields(quote, outcome.result)).toMatchObject({ ...counted, providerCostMicros: counted.inputTokens + 2 * counted.outputTokens });
    }
    expect(logs.lines().filter((l) => l.msg === "provider reported no token usage: billed on Sluice's own count")).toEqual([expect.objectContaining({ level: 'warn', provider: provider.id })]);
  });

  it('leaves reported usage alone, however far from our count', async () => {
    const outcome = await callerAnswering({ text: OUTPUT, inputTokens: 500_000, outputTokens: 1, latencyMs: 5, finishReason: 'stop' }).call(quote, call);
    expect(outcome.ok && outcome.result).toMatchObject({ inputTokens: 500_000, outputTokens: 1 });
    expect(outcome.ok && outcome.result.usageUnreported).toBeUndefined();
  });
});
