import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openServiceDatabase, type ServiceDatabase } from '@sluice/persistence';
import type { ScheduledObject } from './scheduled-object.decider';
import { nextWakeAt, saveObjects } from './scheduled-object.store';

jest.setTimeout(120_000);

const at = (minute: number) => new Date(Date.UTC(2026, 11, 7, 12, minute));
const work = { model: 'openai:gpt-4o', input: { messages: [{ role: 'user', content: 'Summarise the quarterly report in three sentences, please.' }] }, maxOutputTokens: 256 };

function object(id: string, changes: Partial<ScheduledObject>): ScheduledObject {
  return {
    objectId: id, accountId: 'acct-1', status: 'scheduled', fundsReserved: true, work: work as unknown as ScheduledObject['work'], inputTokens: 12,
    slaMinutes: 1440, deadlineAt: at(59), pricing: null, routing: null, mode: 'live', providerId: 'swift', dueAt: null, escalateAt: null,
    attempt: 0, avoidProviders: [], escalated: false, correlationId: 'task-1', traceparent: null, lastEventId: `event-${id}`, ...changes,
  };
}

describe('the scheduler\'s next wake-up', () => {
  let dir: string;
  let database: ServiceDatabase;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-scheduled-objects-'));
    database = await openServiceDatabase({ service: 'scheduler', mode: 'embedded', dataDir: dir });
  });
  afterAll(async () => {
    await database?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const wake = () => database.sql.$transaction((tx) => nextWakeAt(tx));

  it('is the earliest due time of a scheduled object or escalation still to come', async () => {
    await database.sql.$transaction((tx) =>
      saveObjects(tx, [
        object('later', { dueAt: at(40), escalateAt: at(50) }),
        object('escalated-already', { status: 'dispatched', dueAt: at(1), escalateAt: at(2), escalated: true }),
        object('done', { status: 'completed', dueAt: at(3), escalateAt: at(4) }),
        object('waiting-funds', { status: 'awaiting_funds', dueAt: at(5) }),
      ]),
    );
    expect(await wake()).toEqual(at(40));
    await database.sql.$transaction((tx) => saveObjects(tx, [object('running', { status: 'dispatched', dueAt: at(6), escalateAt: at(30) })]));
    expect(await wake()).toEqual(at(30));
    await database.sql.$transaction((tx) => saveObjects(tx, [object('soon', { dueAt: at(20), escalateAt: at(45) })]));
    expect(await wake()).toEqual(at(20));
  });

  it('takes a millisecond, not a scan, with 50,000 objects waiting', async () => {
    for (let i = 0; i < 50_000; i += 1_000) {
      const batch = Array.from({ length: 1_000 }, (_, k) => object(`wait-${i + k}`, { dueAt: at(10 + ((i + k) % 40)), escalateAt: at(55), status: (i + k) % 2 ? 'scheduled' : 'dispatched' }));
      await database.sql.$transaction((tx) => saveObjects(tx, batch));
    }
    // Statistics come after the commits that made them due (see auto-analyze).
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await wake()).toEqual(at(11));
    const times: number[] = [];
    for (let round = 0; round < 5; round++) {
      const started = performance.now();
      await wake();
      times.push(performance.now() - started);
    }
    // A scan of every waiting row takes tens of milliseconds here.
    expect(Math.min(...times)).toBeLessThan(5);
  });
});
