import { findProvider, providerBatchPrice, tokenCostMicros } from '@sluice/catalogue';
import { BatchDispatched, ObjectDispatched, createEvent, type EventOf, type Pricing } from '@sluice/events';
import { startServiceHarness, type ServiceHarness } from '@sluice/testing';
import { randomUUID } from 'node:crypto';
import { routerService } from '../service';

jest.setTimeout(60_000);

const sla: Pricing = { kind: 'sla', basePrice: { inputMicrosPerMillion: 200_000, outputMicrosPerMillion: 200_000 }, priceFactor: 0.3 };

function batchOf(providerId: string, inputs: ({ text: string } | { blobKey: string; bytes: number })[]): EventOf<'BatchDispatched'> {
  const batchId = randomUUID();
  return createEvent(
    BatchDispatched,
    {
      batchId,
      providerId,
      model: 'qwen-7b',
      items: inputs.map((input) => ({ objectId: randomUUID(), accountId: 'acct-batch', attempt: 1, work: { model: 'qwen-7b', input, maxOutputTokens: 64 }, pricing: sla })),
    },
    { correlationId: batchId },
  );
}

// 600 simulated ms per real ms: bargain's 180 s turnaround passes in 0.3 s.
describe('router service, provider batch jobs (demo market)', () => {
  let harness: ServiceHarness;
  const completedOf = (batch: EventOf<'BatchDispatched'>) =>
    Promise.all(batch.payload.items.map((i) => harness.waitFor('ObjectCompleted', (e) => e.payload.objectId === i.objectId, 20_000)));

  beforeAll(async () => {
    harness = await startServiceHarness(routerService, { timeScale: 600, market: { latencyScale: 0, turnaroundScale: 1 } });
  });
  afterAll(async () => {
    await harness?.stop();
  });

  it('submits one provider batch job and completes every item after the turnaround, at the batch price', async () => {
    const batch = batchOf('bargain', [{ text: 'one' }, { text: 'two, a little longer' }, { text: 'three' }]);
    await harness.bus.emit([batch]);
    const completed = await completedOf(batch);
    const price = providerBatchPrice(findProvider(harness.catalogue, 'bargain'), 'qwen-7b');
    for (const done of completed) {
      expect(done.payload).toMatchObject({ providerId: 'bargain', mode: 'provider_batch', attempt: 1 });
      expect(done.payload.outputTokens).toBeGreaterThan(0);
      expect(done.payload.providerCostMicros).toBe(tokenCostMicros(price ?? { inputMicrosPerMillion: -1, outputMicrosPerMillion: -1 }, done.payload.inputTokens, done.payload.outputTokens));
      expect(new Date(done.occurredAt).getTime() - new Date(batch.occurredAt).getTime()).toBeGreaterThanOrEqual(180_000 - 1_000);
      expect(done.causationId).toBe(batch.eventId);
    }
    const accepted = harness.eventsOf('QuoteAccepted').filter((e) => batch.payload.items.some((i) => i.objectId === e.payload.objectId));
    expect(accepted.map((e) => e.payload.mode)).toEqual(['provider_batch', 'provider_batch', 'provider_batch']);
    expect(harness.market?.stats().bargain).toMatchObject({ batchesCreated: 1, batchRequests: 3, chatCompletions: 0 });
    // Once recorded, the job's input and output files are deleted at the provider.
    const deadline = Date.now() + 10_000;
    while (harness.market?.stats().bargain.filesDeleted !== 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(harness.market?.stats().bargain).toMatchObject({ filesUploaded: 1, filesDeleted: 2 });
  });

  it('a BatchDispatched delivered again submits nothing and emits nothing', async () => {
    const batch = batchOf('midway', [{ text: 'again' }]);
    await harness.bus.emit([batch, batch]);
    await completedOf(batch);
    await harness.bus.emit([batch]);
    const later = batchOf('midway', [{ text: 'later' }]);
    await harness.bus.emit([later]);
    await completedOf(later);
    // The redelivery travels on another partition than `later`: give it time to arrive.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(harness.market?.stats().midway.batchesCreated).toBe(2);
    expect(harness.eventsOf('ObjectCompleted').filter((e) => e.payload.objectId === batch.payload.items[0].objectId)).toHaveLength(1);
    expect(harness.eventsOf('QuoteAccepted').filter((e) => e.payload.objectId === batch.payload.items[0].objectId)).toHaveLength(1);
  });

  it('an escalation of an item its batch job already completed calls no provider; one whose item failed runs live', async () => {
    const batch = batchOf('bargain', [{ text: 'done in the batch' }, { blobKey: 'blobs/2', bytes: 10 }]);
    await harness.bus.emit([batch]);
    const [completedItem, failedItem] = batch.payload.items;
    await harness.waitFor('ObjectCompleted', (e) => e.payload.objectId === completedItem.objectId, 20_000);
    await harness.waitFor('ObjectFailed', (e) => e.payload.objectId === failedItem.objectId, 20_000);
    // The scheduler, behind on the log, sends both live as escalations (attempt 2).
    const escalation = (item: typeof completedItem) =>
      createEvent(
        ObjectDispatched,
        { objectId: item.objectId, accountId: item.accountId, attempt: 2, work: { ...item.work, input: { text: 'escalated' } }, deadlineAt: new Date(Date.now() + 3_600_000).toISOString(), pricing: sla, avoidProviders: [], escalated: true },
        { correlationId: item.objectId },
      );
    await harness.bus.emit([escalation(completedItem), escalation(failedItem)]);
    await harness.waitFor('ObjectCompleted', (e) => e.payload.objectId === failedItem.objectId && e.payload.attempt === 2, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(harness.eventsOf('QuoteAccepted').filter((e) => e.payload.objectId === completedItem.objectId).map((e) => e.payload.attempt)).toEqual([1]);
    expect(harness.eventsOf('ObjectCompleted').filter((e) => e.payload.objectId === completedItem.objectId).map((e) => e.payload.attempt)).toEqual([1]);
  });

  it('items given by reference fail permanently, the rest still run', async () => {
    const batch = batchOf('bargain', [{ text: 'inline' }, { blobKey: 'blobs/1', bytes: 10 }]);
    await harness.bus.emit([batch]);
    const failed = await harness.waitFor('ObjectFailed', (e) => e.payload.objectId === batch.payload.items[1].objectId);
    expect(failed.payload).toMatchObject({ transient: false, code: 'input_by_reference_unsupported' });
    await harness.waitFor('ObjectCompleted', (e) => e.payload.objectId === batch.payload.items[0].objectId, 20_000);
  });

  it('a provider without a batch API fails the items transient, so the scheduler can run them another way', async () => {
    const batch = batchOf('swift', [{ text: 'no batch here' }]);
    await harness.bus.emit([batch]);
    const failed = await harness.waitFor('ObjectFailed', (e) => e.payload.objectId === batch.payload.items[0].objectId);
    expect(failed.payload).toMatchObject({ providerId: 'swift', transient: true, code: 'provider_batch_unavailable' });
  });
});

describe('router service, provider batch jobs whose release is slow', () => {
  let harness: ServiceHarness;
  const DELETE_MS = 1_500;

  beforeAll(async () => {
    // Deleting a job's files takes 1.5 s at this provider.
    const onRequest = ({ method }: { method: string }) => (method === 'DELETE' ? new Promise<void>((resolve) => setTimeout(resolve, DELETE_MS)) : undefined);
    harness = await startServiceHarness(routerService, { timeScale: 600, market: { latencyScale: 0, turnaroundScale: 1, onRequest } });
  });
  afterAll(async () => {
    await harness?.stop();
  });

  it('records every finished job before releasing any, and releases them together', async () => {
    const batches = Array.from({ length: 4 }, (_, n) => batchOf('bargain', [{ text: `job ${n}` }]));
    await harness.bus.emit(batches);
    // When each job's outcome reached the log.
    const arrivedAt = await Promise.all(
      batches.map((b) => harness.waitFor('ObjectCompleted', (e) => e.payload.objectId === b.payload.items[0].objectId, 20_000).then(() => Date.now())),
    );
    // Released one after another, each job's release held the next job's outcome back (≥ 4.5 s in all).
    expect(Math.max(...arrivedAt) - Math.min(...arrivedAt)).toBeLessThan(2 * DELETE_MS);
    const deadline = Date.now() + 10_000;
    while (harness.market?.stats().bargain.filesDeleted !== 8 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(harness.market?.stats().bargain).toMatchObject({ filesUploaded: 4, filesDeleted: 8 });
  });
});
