import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openServiceDatabase, type ServiceDatabase } from '@sluice/persistence';
import type { ScheduledObject } from './scheduled-object.decider';
import { countEscalationsInFlight, loadDue, nextWakeAt, saveObjects } from './scheduled-object.store';

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

/** A scheduler database of its own for the enclosing describe. */
function schedulerDatabase(): () => ServiceDatabase {
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
  return () => database;
}

describe('the scheduler\'s next wake-up', () => {
  const db = schedulerDatabase();

  const wake = () => db().sql.$transaction((tx) => nextWakeAt(tx));

  it('is the earliest due time of a scheduled object or escalation still to come', async () => {
    await db().sql.$transaction((tx) =>
      saveObjects(tx, [
        object('later', { dueAt: at(40), escalateAt: at(50) }),
        object('escalated-already', { status: 'dispatched', dueAt: at(1), escalateAt: at(2), escalated: true }),
        object('done', { status: 'completed', dueAt: at(3), escalateAt: at(4) }),
        object('waiting-funds', { status: 'awaiting_funds', dueAt: at(5) }),
      ]),
    );
    expect(await wake()).toEqual(at(40));
    await db().sql.$transaction((tx) => saveObjects(tx, [object('running', { status: 'dispatched', dueAt: at(6), escalateAt: at(30) })]));
    expect(await wake()).toEqual(at(30));
    await db().sql.$transaction((tx) => saveObjects(tx, [object('soon', { dueAt: at(20), escalateAt: at(45) })]));
    expect(await wake()).toEqual(at(20));
    // With no room for an escalation, escalation times do not wake the loop.
    expect(await db().sql.$transaction((tx) => nextWakeAt(tx, false))).toEqual(at(20));
    await db().sql.$transaction((tx) => saveObjects(tx, [object('soon', { dueAt: at(35), escalateAt: at(45) })]));
    expect(await wake()).toEqual(at(30));
    expect(await db().sql.$transaction((tx) => nextWakeAt(tx, false))).toEqual(at(35));
  });

  it('takes a millisecond, not a scan, with 50,000 objects waiting', async () => {
    for (let i = 0; i < 50_000; i += 1_000) {
      const batch = Array.from({ length: 1_000 }, (_, k) => object(`wait-${i + k}`, { dueAt: at(10 + ((i + k) % 40)), escalateAt: at(55), status: (i + k) % 2 ? 'scheduled' : 'dispatched' }));
      await db().sql.$transaction((tx) => saveObjects(tx, batch));
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

describe('the due objects a dispatch pass takes', () => {
  const db = schedulerDatabase();

  const due = (minute: number, escalations = 100) =>
    db().sql.$transaction(async (tx) => (await loadDue(tx, at(minute), 3, 100, escalations)).map((o) => o.objectId).sort());
  const inBatch = (providerId: string, dueAt: Date) => ({ mode: 'provider_batch' as const, providerId, dueAt, escalateAt: at(58) });

  it('are live objects due, escalations due, and whole provider batch groups that are due or full', async () => {
    await db().sql.$transaction((tx) =>
      saveObjects(tx, [
        object('live-due', { dueAt: at(10), escalateAt: at(58) }),
        object('live-later', { dueAt: at(30), escalateAt: at(58) }),
        object('escalating', { status: 'dispatched', dueAt: null, escalateAt: at(15) }),
        object('escalated', { status: 'dispatched', dueAt: null, escalateAt: at(15), escalated: true }),
        object('full-1', inBatch('bulk', at(40))),
        object('full-2', inBatch('bulk', at(41))),
        object('full-3', inBatch('bulk', at(42))),
        object('group-due-1', inBatch('cheap', at(12))),
        object('group-due-2', inBatch('cheap', at(50))),
        object('group-waiting', inBatch('slow', at(45))),
      ]),
    );
    expect(await due(20)).toEqual(['escalating', 'full-1', 'full-2', 'full-3', 'group-due-1', 'group-due-2', 'live-due']);
    expect(await due(5)).toEqual(['full-1', 'full-2', 'full-3']);
  });

  it('take at most the escalations they have room for, the earliest first', async () => {
    await db().sql.$transaction((tx) =>
      saveObjects(tx, [
        object('escalating-2', { status: 'dispatched', dueAt: null, escalateAt: at(16) }),
        object('escalating-3', { status: 'dispatched', dueAt: null, escalateAt: at(17) }),
      ]),
    );
    const escalations = async (room: number) => (await due(20, room)).filter((id) => id.startsWith('escalating'));
    expect(await escalations(100)).toEqual(['escalating', 'escalating-2', 'escalating-3']);
    expect(await escalations(2)).toEqual(['escalating', 'escalating-2']);
    expect(await escalations(0)).toEqual([]);
    // In flight: dispatched and escalated ('escalated' above).
    expect(await db().sql.$transaction((tx) => countEscalationsInFlight(tx))).toBe(1);
    await db().sql.$transaction((tx) =>
      saveObjects(tx, [object('escalating-2', { status: 'completed', dueAt: null, escalateAt: null }), object('escalating-3', { status: 'completed', dueAt: null, escalateAt: null })]),
    );
  });

  it('does not read the live objects waiting for a later window: milliseconds with 100,000 of them', async () => {
    for (let i = 0; i < 100_000; i += 2_000) {
      const batch = Array.from({ length: 2_000 }, (_, k) => object(`off-peak-${i + k}`, { dueAt: at(55), escalateAt: at(58) }));
      await db().sql.$transaction((tx) => saveObjects(tx, batch));
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    const times: number[] = [];
    for (let round = 0; round < 5; round++) {
      const started = performance.now();
      expect(await due(5)).toEqual(['full-1', 'full-2', 'full-3']);
      times.push(performance.now() - started);
    }
    // Reading every waiting row (without the (status, mode, due_at) index) takes tens of milliseconds here.
    expect(Math.min(...times)).toBeLessThan(15);
  });
});
