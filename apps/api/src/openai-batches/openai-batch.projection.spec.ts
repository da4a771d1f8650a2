import { createEvent, TaskCancelRequested, TaskCompleted, TaskSubmitted } from '@sluice/events';
import { batchChangesOf } from './openai-batch.projection';

let n = 0;
const deps = { now: () => new Date('2030-01-01T10:00:00.000Z'), newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}` };
const ctx = { correlationId: 't1' };
const openaiBatch = { endpoint: '/v1/chat/completions' as const, completionWindow: '90m', metadata: { a: 'b' } };

describe('the batches projection', () => {
  it('opens a batch for an OpenAI batch’s task only, and marks cancellation and the end of its lines', () => {
    const events = [
      createEvent(TaskSubmitted, { taskId: 't1', accountId: 'a', totalItems: 2, outputFormat: 'jsonl', fileId: 'f1', slaMinutes: 90, openaiBatch }, ctx, deps),
      createEvent(TaskSubmitted, { taskId: 't2', accountId: 'a', totalItems: 2, outputFormat: 'jsonl', fileId: 'f1', slaMinutes: 90 }, ctx, deps),
      createEvent(TaskCancelRequested, { taskId: 't1', accountId: 'a' }, ctx, deps),
      createEvent(TaskCompleted, { taskId: 't1', accountId: 'a', completedItems: 1, failedItems: 1 }, ctx, deps),
    ];
    const changes = batchChangesOf(events);
    expect(changes.created).toEqual([
      {
        batchId: 't1', accountId: 'a', inputFileId: 'f1', endpoint: '/v1/chat/completions', completionWindow: '90m', slaMinutes: 90,
        metadata: { a: 'b' }, createdAt: '2030-01-01T10:00:00.000Z', cancellingAt: null, finalizingAt: null,
      },
    ]);
    expect(changes.cancelling).toEqual([{ batchId: 't1', at: '2030-01-01T10:00:00.000Z' }]);
    expect(changes.finalizing).toEqual([{ batchId: 't1', at: '2030-01-01T10:00:00.000Z' }]);
  });
});
