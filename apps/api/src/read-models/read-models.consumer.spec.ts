import { Catalogue as E, createEvent, type SluiceEvent } from '@sluice/events';
import { captureLogs, objectTraceparent } from '@sluice/telemetry';
import { evolveObject, type ObjectEvent, type ObjectRow } from './object.projection';
import { logSlaMisses } from './read-models.consumer';

const at = (minute: number) => new Date(Date.UTC(2030, 0, 1, 0, minute)).toISOString();
let n = 0;
const deps = (minute: number) => ({ now: () => new Date(at(minute)), newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}` });
const ctx = { correlationId: 'task-1' };

const submitted = (objectId: string) =>
  createEvent(
    E.ObjectSubmitted,
    {
      objectId, taskId: 'task-1', accountId: 'acct-1', index: 0, model: 'gpt-4o', input: { text: 'a prompt' }, inputTokens: 10, maxOutputTokens: 64,
      slaMinutes: 60, deadlineAt: at(60), pricing: { kind: 'sla', basePrice: { inputMicrosPerMillion: 1, outputMicrosPerMillion: 1 }, priceFactor: 0.5 },
    },
    ctx,
    deps(0),
  );
const completed = (objectId: string, minute: number) =>
  createEvent(E.ObjectCompleted, { objectId, accountId: 'acct-1', attempt: 1, providerId: 'p', mode: 'live', inputTokens: 10, outputTokens: 11, output: { text: 'an output' }, providerCostMicros: 1, latencyMs: 5 }, ctx, deps(minute));
const rowAfter = (objectId: string, ...events: ObjectEvent[]) => events.reduce<ObjectRow | null>((row, e) => evolveObject(objectId, row, e), null) as ObjectRow;

describe('SLA misses in the logs', () => {
  it('logs one line for an object that completed after its deadline, with its ids and trace, and none for one in time', () => {
    const late = completed('obj-late', 61);
    const inTime = completed('obj-ok', 30);
    const rows = new Map([
      ['obj-late', rowAfter('obj-late', submitted('obj-late'), late)],
      ['obj-ok', rowAfter('obj-ok', submitted('obj-ok'), inTime)],
    ]);
    const logs = captureLogs();
    logSlaMisses([late, inTime] as SluiceEvent[], rows);
    logs.restore();
    expect(logs.lines()).toEqual([
      expect.objectContaining({ level: 'info', msg: 'SLA missed', service: 'api', objectId: 'obj-late', taskId: 'task-1', accountId: 'acct-1', trace_id: objectTraceparent('obj-late').split('-')[1] }),
    ]);
    expect(logs.raw().join('')).not.toContain('a prompt');
    expect(logs.raw().join('')).not.toContain('an output');
  });
});
