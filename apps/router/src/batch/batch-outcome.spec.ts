import { ProviderRejectedError, ProviderServerError, type BatchItemResult } from '@sluice/providers';
import { batchCustomId, batchOutcomeEvents, type BatchDispatchItem, type BatchJob } from './batch-outcome';

const item = (objectId: string): BatchDispatchItem => ({
  objectId,
  accountId: 'acct-1',
  attempt: 2,
  work: { model: 'qwen-7b', input: { text: objectId }, maxOutputTokens: 64 },
  pricing: { kind: 'sla', basePrice: { inputMicrosPerMillion: 200_000, outputMicrosPerMillion: 200_000 }, priceFactor: 0.3 },
});

const job: BatchJob = {
  batchId: 'batch-1',
  providerId: 'bargain',
  providerBatchId: 'batch_abc',
  model: 'qwen-7b',
  items: [item('obj-ok'), item('obj-refused'), item('obj-5xx'), item('obj-missing')],
  context: { correlationId: 'batch-1', causationId: 'evt-dispatch' },
  submittedAt: new Date('2025-03-04T10:00:00Z'),
};

let n = 0;
const deps = { now: () => new Date('2025-03-04T10:03:00Z'), newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}` };
const price = { inputMicrosPerMillion: 30_000, outputMicrosPerMillion: 30_000 };

describe('batch outcome', () => {
  const results: BatchItemResult[] = [
    { customId: batchCustomId(job.items[0]), ok: true, text: 'hello', inputTokens: 1_000, outputTokens: 500 },
    { customId: batchCustomId(job.items[1]), ok: false, error: new ProviderRejectedError('bargain', 'context too long', 400, 'context_length_exceeded') },
    { customId: batchCustomId(job.items[2]), ok: false, error: new ProviderServerError('bargain', 'overloaded', 503) },
  ];
  const events = batchOutcomeEvents(job, price, results, deps);

  it.each([
    { objectId: 'obj-ok', expected: { type: 'ObjectCompleted', payload: { mode: 'provider_batch', inputTokens: 1_000, outputTokens: 500, providerCostMicros: 45, latencyMs: 180_000, output: { text: 'hello' } } } },
    { objectId: 'obj-refused', expected: { type: 'ObjectFailed', payload: { transient: false, code: 'provider_rejected_request' } } },
    { objectId: 'obj-5xx', expected: { type: 'ObjectFailed', payload: { transient: true, code: 'provider_server_error' } } },
    { objectId: 'obj-missing', expected: { type: 'ObjectFailed', payload: { transient: true, code: 'provider_batch_item_not_run' } } },
  ])('$objectId → $expected.type', ({ objectId, expected }) => {
    const event = events.find((e) => 'objectId' in e.payload && e.payload.objectId === objectId);
    expect(event).toMatchObject({ ...expected, payload: { ...expected.payload, objectId, attempt: 2, providerId: 'bargain' }, causationId: 'evt-dispatch', correlationId: 'batch-1' });
  });

  it('emits exactly one event per item, in item order', () => {
    expect(events.map((e) => ('objectId' in e.payload ? e.payload.objectId : null))).toEqual(job.items.map((i) => i.objectId));
  });
});
