import { createEvent, FileExpanded, ObjectSubmitted, TaskCancelRequested, TaskCompleted, TaskSubmitted } from '@sluice/events';
import type { ObjectRow } from '../read-models/object.projection';
import { batchChangesOf, expansionsOf, quoteDeltasOf } from './openai-batch.projection';

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

describe('a task’s quote and a file’s expansion', () => {
  const basePrice = { inputMicrosPerMillion: 1_000_000, outputMicrosPerMillion: 3_000_000 };
  const submitted = (objectId: string, taskId: string, priceFactor: number, gateway = false) =>
    createEvent(
      ObjectSubmitted,
      {
        objectId, taskId, accountId: 'a', index: 0, model: 'm', input: { text: 'hi' }, inputTokens: 1_000, maxOutputTokens: 1_000, slaMinutes: 60,
        deadlineAt: '2030-01-01T11:00:00.000Z', pricing: { kind: 'sla', basePrice, priceFactor }, ...(gateway ? { gateway: true as const } : {}),
      },
      ctx,
      deps,
    );
  const objectRow = (taskId: string | null, chargedMicros: number | null) => ({ objectId: 'o', taskId, chargedMicros }) as ObjectRow;

  it('adds each SLA item’s reservation bound at its factor, as billing holds it; skips the real-time gateway’s', () => {
    const deltas = quoteDeltasOf([submitted('o1', 't1', 0.5), submitted('o2', 't1', 0.3), submitted('o3', 'g', 0.5, true)], []);
    // 1,000 input tokens at $1/M and 1,000 output at $3/M: 4,000 micros at the base price.
    expect(deltas).toEqual([{ taskId: 't1', quotedItems: 2, baseMicros: 8_000, expectedMicros: 2_000 + 1_200, chargedMicros: 0, minFactor: 0.3, maxFactor: 0.5 }]);
  });

  it('counts a charge once, whether it is projected before or after the submission that places it in a task', () => {
    expect(quoteDeltasOf([], [{ before: null, after: objectRow(null, 700) }])).toEqual([]);
    expect(quoteDeltasOf([], [{ before: objectRow(null, 700), after: objectRow('t1', 700) }])[0].chargedMicros).toBe(700);
    expect(quoteDeltasOf([], [{ before: objectRow('t1', null), after: objectRow('t1', 500) }])[0].chargedMicros).toBe(500);
    expect(quoteDeltasOf([], [{ before: objectRow('t1', 500), after: objectRow('t1', 500) }])).toEqual([]);
  });

  it('records a file task’s expansion', () => {
    const done = createEvent(FileExpanded, { fileId: 'f1', taskId: 't1', accountId: 'a', submitted: 4, rejected: 1 }, ctx, deps);
    expect(expansionsOf([done])).toEqual([{ taskId: 't1', submitted: 4, rejected: 1, expandedAt: '2030-01-01T10:00:00.000Z' }]);
  });
});
