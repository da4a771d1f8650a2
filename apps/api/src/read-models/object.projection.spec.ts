import { Catalogue as E, createEvent } from '@sluice/events';
import { evolveObject, statusCountDeltas, type ObjectEvent, type ObjectRow } from './object.projection';
import { applyTaskDelta, blankTask, cancelTask, summariseTask, taskCounts, taskDelta, taskStatus, type TaskRow } from './task.projection';

let n = 0;
const at = (minute: number) => new Date(Date.UTC(2030, 0, 1, 0, minute)).toISOString();
const deps = (minute: number) => ({ now: () => new Date(at(minute)), newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}` });
const ctx = { correlationId: 'task-1' };
const id = 'obj-1';
const acct = 'acct-1';

const submitted = createEvent(E.ObjectSubmitted, {
  objectId: id, taskId: 'task-1', accountId: acct, index: 0, model: 'gpt-4o', input: { text: 'hi' }, inputTokens: 10, maxOutputTokens: 1024,
  slaMinutes: 60, deadlineAt: at(60), pricing: { kind: 'sla', basePrice: { inputMicrosPerMillion: 1, outputMicrosPerMillion: 1 }, priceFactor: 0.5 },
}, ctx, deps(0));
const scheduled = createEvent(E.ObjectScheduled, { objectId: id, accountId: acct, runAt: at(5), mode: 'live', estimatedProviderCostMicros: 1, reason: 'now' }, ctx, deps(1));
const dispatched = (attempt: number, minute: number) =>
  createEvent(E.ObjectDispatched, { objectId: id, accountId: acct, attempt, work: { model: 'gpt-4o', input: { text: 'hi' }, maxOutputTokens: 1024 }, deadlineAt: at(60), pricing: submitted.payload.pricing, avoidProviders: [], escalated: false }, ctx, deps(minute));
const failed = createEvent(E.ObjectFailed, { objectId: id, accountId: acct, attempt: 1, providerId: 'p', transient: true, code: 'rate_limited', message: '429' }, ctx, deps(3));
const completed = (minute: number) =>
  createEvent(E.ObjectCompleted, { objectId: id, accountId: acct, attempt: 2, providerId: 'p', mode: 'live', inputTokens: 10, outputTokens: 11, output: { text: 'hello' }, providerCostMicros: 1, latencyMs: 5 }, ctx, deps(minute));
const abandoned = createEvent(E.ObjectAbandoned, { objectId: id, accountId: acct, attempts: 3, code: 'all_providers_failed', message: 'gave up' }, ctx, deps(50));
const denied = createEvent(E.FundsDenied, { accountId: acct, objectId: id, requiredMicros: 2_000_000, availableMicros: 500_000 }, ctx, deps(0));
const batch = createEvent(E.BatchDispatched, { batchId: 'b1', providerId: 'cheap', model: 'gpt-4o', items: [{ objectId: id, accountId: acct, attempt: 1, work: dispatched(1, 0).payload.work, pricing: submitted.payload.pricing }] }, ctx, deps(2));

const fold = (...events: ObjectEvent[]): ObjectRow => events.reduce<ObjectRow | null>((row, e) => evolveObject(id, row, e), null) as ObjectRow;

describe('object projection', () => {
  it.each<[string, ObjectEvent[], Partial<ObjectRow>]>([
    ['submitted', [submitted], { status: 'submitted', taskId: 'task-1', inputTokens: 10, priceFactor: 0.5, slaMinutes: 60, deadlineAt: at(60) }],
    ['scheduled → queued', [submitted, scheduled], { status: 'queued', mode: 'live' }],
    ['dispatched → running', [submitted, scheduled, dispatched(1, 2)], { status: 'running', attempts: 1 }],
    ['a transient failure waits for a retry', [submitted, dispatched(1, 2), failed], { status: 'queued', errorCode: 'rate_limited' }],
    ['retried then completed', [submitted, dispatched(1, 2), failed, dispatched(2, 4), completed(10)], { status: 'completed', attempts: 2, outputTokens: 11, outputText: 'hello', errorCode: null, slaMissed: false, finishedAt: at(10) }],
    ['completed after the deadline', [submitted, dispatched(1, 2), completed(61)], { status: 'completed', slaMissed: true }],
    ['abandoned → failed with its code', [submitted, dispatched(1, 2), abandoned], { status: 'failed', attempts: 3, errorCode: 'all_providers_failed', errorMessage: 'gave up' }],
    ['funds denied → failed insufficient_balance', [submitted, denied], { status: 'failed', errorCode: 'insufficient_balance' }],
    ['funds denied before the submission is seen', [denied, submitted], { status: 'failed', errorCode: 'insufficient_balance', taskId: 'task-1', inputTokens: 10 }],
    ['served by the real-time gateway: no task item', [{ ...submitted, payload: { ...submitted.payload, taskId: id, slaMinutes: null, gateway: true as const } }, completed(1)], { status: 'completed', taskId: null, itemIndex: null }],
    ['a provider batch job runs it', [submitted, scheduled, batch], { status: 'running', mode: 'provider_batch', providerId: 'cheap', attempts: 1 }],
    ['a batch event seen after completion does not revive it', [submitted, dispatched(1, 2), completed(10), batch], { status: 'completed' }],
    ['a late completion does not undo a failure', [submitted, abandoned, completed(55)], { status: 'failed', outputText: null }],
  ])('%s', (_, events, expected) => {
    expect(fold(...events)).toMatchObject(expected);
  });

  it('keeps the latest instant as updatedAt whatever the order of cross-partition events', () => {
    expect(fold(submitted, denied).updatedAt).toBe(fold(denied, submitted).updatedAt);
  });

  it('gives the same row whether a batch dispatch arrives before or after a live completion that overtook it', () => {
    const liveFirst = fold(submitted, scheduled, dispatched(2, 4), completed(6), batch);
    const batchFirst = fold(submitted, scheduled, batch, dispatched(2, 4), completed(6));
    expect(liveFirst).toEqual(batchFirst);
    expect(liveFirst).toMatchObject({ status: 'completed', providerId: 'p', mode: 'live' });
  });

  it('keeps a provider batch job running when its dispatch is seen before the plan that chose it', () => {
    expect(fold(submitted, batch, scheduled)).toEqual(fold(submitted, scheduled, batch));
    expect(fold(submitted, batch, scheduled)).toMatchObject({ status: 'running', mode: 'provider_batch' });
  });

  it('gives the same failure whether the denial or its abandonment is folded first', () => {
    const abandonedForFunds = createEvent(E.ObjectAbandoned, { objectId: id, accountId: acct, attempts: 0, code: 'insufficient_balance', message: 'no funds' }, ctx, deps(9));
    expect(fold(submitted, denied, abandonedForFunds)).toEqual(fold(submitted, abandonedForFunds, denied));
    expect(fold(submitted, abandonedForFunds, denied).errorMessage).toMatch(/this item needs up to \$2/);
  });
});

describe('object projection of real-time fields', () => {
  const realtime = createEvent(E.ObjectSubmitted, {
    ...submitted.payload, slaMinutes: null, pricing: { kind: 'realtime', markupBps: 1_000 },
    routing: { profile: 'fast', strategy: 'lowest_cost' }, customerRef: 'order-1', metadata: { env: 'staging' },
  }, ctx, deps(0));
  const charged = createEvent(E.Charged, { accountId: acct, objectId: id, amountMicros: 41, reservedMicros: 90, availableMicros: 959 }, ctx, deps(11));

  it('keeps the customer fields and the charge with the wallet after it', () => {
    expect(fold(realtime, dispatched(1, 2), completed(10), charged)).toMatchObject({
      status: 'completed', customerRef: 'order-1', metadata: '{"env":"staging"}', chargedMicros: 41, balanceAfterMicros: 959,
    });
  });

  it('gives the same row whether the charge (billing partition) is folded before or after the completion', () => {
    expect(fold(realtime, dispatched(1, 2), charged, completed(10))).toEqual(fold(realtime, dispatched(1, 2), completed(10), charged));
  });

  it('leaves the charge empty until billing charges', () => {
    expect(fold(realtime, dispatched(1, 2), completed(10))).toMatchObject({ chargedMicros: null, balanceAfterMicros: null });
  });
});

describe('task counters and status', () => {
  it('counts an object once it is known to belong to the task, under its status; a final one once, as it first ended', () => {
    const deniedOnly = fold(denied);
    expect(taskDelta(null, deniedOnly)).toBeNull();
    const both = evolveObject(id, deniedOnly, submitted);
    expect(taskDelta(deniedOnly, both)).toEqual({ taskId: 'task-1', accountId: acct, queued: 0, running: 0, completed: 0, failed: 1 });
    expect(taskDelta(both, evolveObject(id, both, abandoned))).toBeNull();
  });

  it('moves an object between the counters as it moves, and the status follows the counters', () => {
    const task: TaskRow = { ...blankTask('task-1', acct), totalItems: 2, submittedAt: '2026-01-01T00:00:00.000Z' };
    const moved = (row: TaskRow, before: ObjectRow | null, after: ObjectRow) => {
      const delta = taskDelta(before, after);
      return delta ? applyTaskDelta(row, delta) : row;
    };
    const queuedRow = fold(submitted, scheduled);
    const runningRow = evolveObject(id, queuedRow, dispatched(1, 2));
    let row = moved(task, null, queuedRow);
    expect([taskCounts(row), taskStatus(row)]).toEqual([{ submitted: 1, queued: 1, running: 0, completed: 0, failed: 0 }, 'queued']);
    row = moved(row, queuedRow, runningRow);
    expect([taskCounts(row), taskStatus(row)]).toEqual([{ submitted: 1, queued: 0, running: 1, completed: 0, failed: 0 }, 'running']);
    row = moved(row, runningRow, evolveObject(id, runningRow, completed(10)));
    expect(taskCounts(row)).toEqual({ submitted: 1, queued: 0, running: 0, completed: 1, failed: 0 });
    const cancelled = cancelTask(row, { payload: { taskId: 'task-1', accountId: acct }, occurredAt: '2026-01-01T00:01:00.000Z' });
    expect(taskStatus(cancelled)).toBe('cancelling');
    expect(taskStatus({ ...cancelled, failedItems: 1 })).toBe('cancelled');
    expect(cancelTask(cancelled, { payload: { taskId: 'task-1', accountId: acct }, occurredAt: '2026-01-01T00:02:00.000Z' })).toBe(cancelled);
  });

  it.each<[string, number | null, Parameters<typeof summariseTask>[1], string]>([
    ['nothing moved yet', 2, ['submitted', 'submitted'], 'submitted'],
    ['waiting for a window', 2, ['queued', 'submitted'], 'queued'],
    ['one running', 2, ['running', 'queued'], 'running'],
    ['one done, one waiting', 2, ['completed', 'queued'], 'running'],
    ['all final, one completed', 2, ['completed', 'failed'], 'completed'],
    ['all failed', 2, ['failed', 'failed'], 'failed'],
    ['not all objects projected yet', 3, ['completed', 'completed'], 'running'],
  ])('%s → %s', (_, total, statuses, expected) => {
    expect(summariseTask(total, statuses)).toBe(expected);
  });
});

describe('status counts', () => {
  const row = (status: ObjectRow['status'], slaMissed = false): ObjectRow => ({ ...fold(submitted), status, slaMissed });

  it('moves each rewritten row from its old status to its new one; new rows only add', () => {
    expect(
      statusCountDeltas([
        { before: null, after: row('submitted') },
        { before: row('queued'), after: row('running') },
        { before: row('running'), after: row('completed', true) },
      ]),
    ).toEqual([
      { status: 'completed', slaMissed: true, delta: 1 },
      { status: 'queued', slaMissed: false, delta: -1 },
      { status: 'submitted', slaMissed: false, delta: 1 },
    ]);
  });

  it('leaves out pairs that net to zero (a row rewritten in its own status)', () => {
    expect(statusCountDeltas([{ before: row('running'), after: row('running') }])).toEqual([]);
    expect(statusCountDeltas([])).toEqual([]);
  });
});
