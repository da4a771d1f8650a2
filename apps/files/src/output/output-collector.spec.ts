import { createEvent, ObjectAbandoned, ObjectCompleted, ObjectRejected, ObjectSubmitted, type SluiceEvent } from '@sluice/events';
import { collectResults } from './output-collector';

const deps = { now: () => new Date('2026-11-23T10:00:00.000Z'), newId: (() => { let n = 0; return () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`; })() };
const ctx = { correlationId: 'task-1' };
const submitted = (objectId: string, index: number, collectOutput: boolean, itemKey?: string) =>
  createEvent(ObjectSubmitted, {
    objectId, taskId: 'task-1', accountId: 'a', index, model: 'qwen-7b', input: { text: 'hi' }, inputTokens: 1, maxOutputTokens: 8, slaMinutes: 60,
    deadlineAt: '2026-11-23T11:00:00.000Z', pricing: { kind: 'sla', basePrice: { inputMicrosPerMillion: 1, outputMicrosPerMillion: 1 }, priceFactor: 0.5 },
    ...(itemKey ? { itemKey } : {}), ...(collectOutput ? { collectOutput } : {}),
  }, ctx, deps);
const completed = (objectId: string, text: string) =>
  createEvent(ObjectCompleted, { objectId, accountId: 'a', attempt: 1, providerId: 'p', mode: 'live', inputTokens: 1, outputTokens: 2, output: { text }, providerCostMicros: 1, latencyMs: 1 }, ctx, deps);
const abandoned = (objectId: string) => createEvent(ObjectAbandoned, { objectId, accountId: 'a', attempts: 3, code: 'provider_error', message: 'gave up' }, ctx, deps);

describe('collectResults: what object events mean for output files', () => {
  it('keeps only items of tasks that want a file, keyed by line key or object id', () => {
    const events: SluiceEvent[] = [
      submitted('o1', 0, true, 'line-key'),
      submitted('o2', 1, true),
      submitted('o3', 2, false),
      createEvent(ObjectRejected, { objectId: 'o4', taskId: 'task-1', accountId: 'a', index: 3, lineNo: 5, code: 'invalid_json', message: 'line 5: bad', collectOutput: true }, ctx, deps),
    ];
    const { items } = collectResults(events);
    expect(items.map((i) => [i.objectId, i.key, i.status, i.errorCode])).toEqual([
      ['o1', 'line-key', 'pending', null],
      ['o2', 'o2', 'pending', null],
      ['o4', 'line-5', 'failed', 'invalid_json'],
    ]);
  });

  it('takes an object\'s first end in log order: a late abandonment does not undo a completion', () => {
    const { finals } = collectResults([completed('o1', 'answer'), abandoned('o1'), abandoned('o2'), completed('o2', 'late')]);
    expect(finals).toEqual([
      { objectId: 'o1', status: 'completed', text: 'answer', errorCode: null, errorMessage: null, inputTokens: 1, outputTokens: 2, finishedAt: '2026-11-23T10:00:00.000Z' },
      { objectId: 'o2', status: 'failed', text: null, errorCode: 'provider_error', errorMessage: 'gave up', inputTokens: null, outputTokens: null, finishedAt: '2026-11-23T10:00:00.000Z' },
    ]);
  });

  it('collects nothing from the real-time gateway\'s objects (they never belong to a file), so no transaction runs', () => {
    const served = { ...completed('rt', 'answer'), payload: { ...completed('rt', 'answer').payload, gateway: true as const } };
    const failed = { ...abandoned('rt2'), payload: { ...abandoned('rt2').payload, gateway: true as const } };
    expect(collectResults([served, failed])).toEqual({ items: [], finals: [] });
  });
});
