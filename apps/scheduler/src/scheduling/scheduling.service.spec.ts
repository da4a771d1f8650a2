import { randomUUID } from 'node:crypto';
import { createEvent, FundsDenied, FundsReserved, ObjectCompleted, ObjectFailed, ObjectSubmitted, TaskCancelRequested, type EventOf } from '@sluice/events';
import { startServiceHarness, type ServiceHarness } from '@sluice/testing';
import { schedulerService } from '../service';
import { ESCALATIONS_IN_FLIGHT } from './dispatch-loop';
import { CANCEL_ROWS_PER_TRANSACTION } from './scheduled-object.store';

const basePrice = { inputMicrosPerMillion: 2_500_000, outputMicrosPerMillion: 10_000_000 };

/** The scheduler alone, at 600 simulated seconds per real second from 08:00 UTC. */
const startScheduler = () => startServiceHarness(schedulerService, { market: false, timeScale: 600, clockOrigin: new Date('2026-03-04T08:00:00.000Z') });

/** Polls `check` every 100 ms until it holds or `ms` passed. */
async function until(check: () => boolean, ms: number): Promise<void> {
  for (const end = Date.now() + ms; !check() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 100));
}

describe('scheduler service', () => {
  let harness: ServiceHarness;
  // 600 simulated seconds per real second: the 2 s backoff and the 5 min batch wait pass quickly.
  // The clock starts at 08:00 UTC (peak): the off-peak spot window that would beat a provider
  // batch job opens 8.5 simulated hours (51 real seconds) later.
  beforeAll(async () => {
    harness = await startScheduler();
  }, 60_000);
  afterAll(() => harness?.stop());

  function submitted(slaMinutes: number | null, model = 'openai:gpt-4o'): EventOf<'ObjectSubmitted'> {
    const now = harness.clock.now().getTime();
    const taskId = randomUUID();
    return createEvent(
      ObjectSubmitted,
      {
        objectId: randomUUID(),
        taskId,
        accountId: 'acct-1',
        index: 0,
        model,
        input: { text: 'Hello' },
        inputTokens: 10,
        maxOutputTokens: 200,
        slaMinutes,
        deadlineAt: new Date(now + (slaMinutes ?? 5) * 60_000).toISOString(),
        pricing: { kind: 'sla', basePrice, priceFactor: slaMinutes === null ? 1 : 0.75 },
      },
      { correlationId: taskId },
    );
  }

  const reserved = (o: EventOf<'ObjectSubmitted'>) =>
    createEvent(FundsReserved, { accountId: o.payload.accountId, objectId: o.payload.objectId, amountMicros: 100, availableMicros: 1_000 }, { correlationId: o.correlationId });

  const failed = (o: EventOf<'ObjectSubmitted'>, attempt: number, transient: boolean, code: string) =>
    createEvent(
      ObjectFailed,
      { objectId: o.payload.objectId, accountId: o.payload.accountId, attempt, providerId: 'swift', transient, code, message: code },
      { correlationId: o.correlationId },
    );

  const forObject = (o: EventOf<'ObjectSubmitted'>) => (e: { payload: { objectId: string } }) => e.payload.objectId === o.payload.objectId;

  it('leaves an object the real-time gateway already served alone: nothing is scheduled or dispatched', async () => {
    const served = submitted(null);
    const gateway = { ...served, payload: { ...served.payload, gateway: true as const } };
    const held = reserved(served);
    const plain = submitted(null);
    await harness.bus.emit([gateway, { ...held, payload: { ...held.payload, gateway: true as const } }]);
    // An ordinary object emitted after it is planned, so the gateway's had its turn by then.
    await harness.bus.emit([plain, reserved(plain)]);
    await harness.waitFor('ObjectDispatched', forObject(plain));
    expect(harness.events().filter((e) => (e.type === 'ObjectScheduled' || e.type === 'ObjectDispatched') && forObject(served)(e))).toEqual([]);
  });

  it('schedules a reserved object without SLA live at once and dispatches it', async () => {
    const o = submitted(null);
    await harness.bus.emit([o, reserved(o)]);
    const scheduled = await harness.waitFor('ObjectScheduled', forObject(o));
    expect(scheduled.payload.mode).toBe('live');
    const dispatched = await harness.waitFor('ObjectDispatched', forObject(o));
    expect(dispatched.payload).toMatchObject({ attempt: 1, escalated: false, work: { model: 'openai:gpt-4o', maxOutputTokens: 200 } });
  });

  it('plans even when the reservation overtakes the submission', async () => {
    const o = submitted(null);
    await harness.bus.emit([reserved(o)]);
    await harness.bus.emit([o]);
    expect((await harness.waitFor('ObjectDispatched', forObject(o))).payload.attempt).toBe(1);
  });

  it('abandons an object whose funds were denied, with insufficient_balance', async () => {
    const o = submitted(60);
    const denied = createEvent(FundsDenied, { accountId: 'acct-1', objectId: o.payload.objectId, requiredMicros: 100, availableMicros: 0 }, { correlationId: o.correlationId });
    await harness.bus.emit([o, denied]);
    const abandoned = await harness.waitFor('ObjectAbandoned', forObject(o));
    expect(abandoned.payload).toMatchObject({ code: 'insufficient_balance', attempts: 0 });
    expect(harness.eventsOf('ObjectDispatched').filter(forObject(o))).toHaveLength(0);
  });

  it('re-dispatches after a transient failure with attempt 2, avoiding the failed provider', async () => {
    const o = submitted(null);
    await harness.bus.emit([o, reserved(o)]);
    await harness.waitFor('ObjectDispatched', forObject(o));
    await harness.bus.emit([failed(o, 1, true, 'provider_rate_limited')]);
    const retry = await harness.waitFor('ObjectDispatched', (e) => forObject(o)(e) && e.payload.attempt === 2);
    expect(retry.payload.avoidProviders).toEqual(['swift']);
    const rescheduled = harness.eventsOf('ObjectScheduled').filter(forObject(o));
    expect(rescheduled).toHaveLength(2);
    expect(new Date(rescheduled[1].payload.runAt).getTime() - new Date(rescheduled[1].occurredAt).getTime()).toBeGreaterThanOrEqual(2_000);
  });

  it('abandons on a permanent failure with its code, and dispatches nothing more', async () => {
    const o = submitted(null);
    await harness.bus.emit([o, reserved(o)]);
    await harness.waitFor('ObjectDispatched', forObject(o));
    await harness.bus.emit([failed(o, 1, false, 'context_length_exceeded')]);
    const abandoned = await harness.waitFor('ObjectAbandoned', forObject(o));
    expect(abandoned.payload).toMatchObject({ code: 'context_length_exceeded', attempts: 1 });
    expect(harness.eventsOf('ObjectDispatched').filter(forObject(o))).toHaveLength(1);
  });

  it('dispatches once when the same events arrive twice', async () => {
    const o = submitted(null);
    const funds = reserved(o);
    await harness.bus.emit([o, funds]);
    await harness.bus.emit([o, funds]);
    await harness.waitFor('ObjectDispatched', forObject(o));
    await harness.clock.sleep(60_000);
    expect(harness.eventsOf('ObjectScheduled').filter(forObject(o))).toHaveLength(1);
    expect(harness.eventsOf('ObjectDispatched').filter(forObject(o))).toHaveLength(1);
  });

  it('cancels a task: its planned objects and those submitted afterwards end as batch_cancelled, a dispatched one runs on; twice changes nothing', async () => {
    const running = submitted(null);
    await harness.bus.emit([running, reserved(running)]);
    await harness.waitFor('ObjectDispatched', forObject(running));
    const taskId = running.payload.taskId;
    const ofTask = (o: EventOf<'ObjectSubmitted'>) => ({ ...o, correlationId: taskId, payload: { ...o.payload, taskId } });
    const planned = ofTask(submitted(60 * 24));
    await harness.bus.emit([planned, reserved(planned)]);
    await harness.waitFor('ObjectScheduled', forObject(planned));
    const cancel = createEvent(TaskCancelRequested, { taskId, accountId: 'acct-1' }, { correlationId: taskId });
    await harness.bus.emit([cancel, cancel]);
    expect((await harness.waitFor('ObjectAbandoned', forObject(planned))).payload).toMatchObject({ code: 'batch_cancelled' });
    const late = ofTask(submitted(60));
    await harness.bus.emit([late]);
    expect((await harness.waitFor('ObjectAbandoned', forObject(late))).payload.code).toBe('batch_cancelled');
    await harness.bus.emit([reserved(late), cancel]);
    await harness.clock.sleep(60_000);
    expect(harness.eventsOf('ObjectAbandoned').filter((e) => forObject(planned)(e) || forObject(late)(e))).toHaveLength(2);
    expect(harness.eventsOf('ObjectAbandoned').filter(forObject(running))).toHaveLength(0);
    expect(harness.eventsOf('ObjectDispatched').filter((e) => forObject(planned)(e) || forObject(late)(e))).toHaveLength(0);
  });

  it('cancels a task larger than one transaction takes: the dispatch loop ends the rest, every undispatched object once', async () => {
    const taskId = randomUUID();
    const objects = Array.from({ length: CANCEL_ROWS_PER_TRANSACTION + 25 }, () => {
      const o = submitted(60 * 24);
      return { ...o, correlationId: taskId, payload: { ...o.payload, taskId } };
    });
    const ids = new Set(objects.map((o) => o.payload.objectId));
    const ofTask = (e: { payload: { objectId: string } }) => ids.has(e.payload.objectId);
    for (let i = 0; i < objects.length; i += 1_000) await harness.bus.emit([...objects.slice(i, i + 1_000), ...objects.slice(i, i + 1_000).map(reserved)]);
    await until(() => harness.eventsOf('ObjectScheduled').filter(ofTask).length === objects.length, 60_000);
    expect(harness.eventsOf('ObjectScheduled').filter(ofTask)).toHaveLength(objects.length);

    await harness.bus.emit([createEvent(TaskCancelRequested, { taskId, accountId: 'acct-1' }, { correlationId: taskId })]);
    const started = new Set(harness.eventsOf('ObjectDispatched').filter(ofTask).map((e) => e.payload.objectId));
    const expected = objects.length - started.size;
    await until(() => harness.eventsOf('ObjectAbandoned').filter(ofTask).length >= expected, 30_000);
    await harness.clock.sleep(30_000); // nothing more comes
    const abandoned = harness.eventsOf('ObjectAbandoned').filter(ofTask);
    expect(expected).toBeGreaterThan(CANCEL_ROWS_PER_TRANSACTION);
    expect(abandoned).toHaveLength(expected);
    expect(new Set(abandoned.map((e) => e.payload.objectId)).size).toBe(expected);
    expect(abandoned.every((e) => e.payload.code === 'batch_cancelled')).toBe(true);
  }, 120_000);

  it('groups SLA objects of one model into one provider batch job', async () => {
    const objects = [submitted(60), submitted(60), submitted(60)];
    await harness.bus.emit([...objects, ...objects.map(reserved)]);
    const ids = new Set(objects.map((o) => o.payload.objectId));
    const batch = await harness.waitFor('BatchDispatched', (e) => e.payload.items.some((i) => ids.has(i.objectId)), 20_000);
    expect(batch.payload).toMatchObject({ providerId: 'openai-direct', model: 'openai:gpt-4o' });
    expect(new Set(batch.payload.items.map((i) => i.objectId))).toEqual(ids);
    expect(batch.payload.items.every((i) => i.attempt === 1)).toBe(true);
    expect(harness.eventsOf('ObjectDispatched').filter((e) => ids.has(e.payload.objectId))).toHaveLength(0);
  });
});

describe('scheduler service: escalations when the completions do not come', () => {
  let harness: ServiceHarness;
  // No router: the provider batch jobs never report, as when the scheduler is far behind the log
  // that holds their completions.
  beforeAll(async () => {
    harness = await startScheduler();
  }, 60_000);
  afterAll(() => harness?.stop());

  it('escalates at most ESCALATIONS_IN_FLIGHT objects at once; one that ends makes room for the next', async () => {
    const taskId = randomUUID();
    const deadlineAt = new Date(harness.clock.now().getTime() + 60 * 60_000).toISOString();
    const objects = Array.from({ length: ESCALATIONS_IN_FLIGHT + 40 }, (_, index) =>
      createEvent(
        ObjectSubmitted,
        {
          objectId: randomUUID(), taskId, accountId: 'acct-1', index, model: 'openai:gpt-4o', input: { text: 'Hello' }, inputTokens: 10,
          maxOutputTokens: 200, slaMinutes: 60, deadlineAt, pricing: { kind: 'sla', basePrice, priceFactor: 0.75 },
        },
        { correlationId: taskId },
      ),
    );
    const ids = new Set(objects.map((o) => o.payload.objectId));
    const escalations = () => harness.eventsOf('ObjectDispatched').filter((e) => ids.has(e.payload.objectId) && e.payload.escalated);
    for (let i = 0; i < objects.length; i += 1_000) {
      const chunk = objects.slice(i, i + 1_000);
      await harness.bus.emit([...chunk, ...chunk.map((o) => createEvent(FundsReserved, { accountId: 'acct-1', objectId: o.payload.objectId, amountMicros: 100, availableMicros: 1_000 }, { correlationId: taskId }))]);
    }
    // Planned into provider batch jobs, which never answer: each object nears its deadline unfinished.
    await until(() => escalations().length >= ESCALATIONS_IN_FLIGHT, 60_000);
    await harness.clock.sleep(10 * 60_000);
    expect(escalations()).toHaveLength(ESCALATIONS_IN_FLIGHT);

    const done = escalations().slice(0, 15);
    await harness.bus.emit(
      done.map((e) =>
        createEvent(
          ObjectCompleted,
          { objectId: e.payload.objectId, accountId: 'acct-1', attempt: e.payload.attempt, providerId: 'swift', mode: 'live', inputTokens: 10, outputTokens: 5, output: { text: 'ok' }, providerCostMicros: 1, latencyMs: 1 },
          { correlationId: taskId },
        ),
      ),
    );
    await until(() => escalations().length >= ESCALATIONS_IN_FLIGHT + 15, 20_000);
    await harness.clock.sleep(10 * 60_000);
    expect(escalations()).toHaveLength(ESCALATIONS_IN_FLIGHT + 15);
    expect(new Set(escalations().map((e) => e.payload.objectId)).size).toBe(ESCALATIONS_IN_FLIGHT + 15);
  }, 120_000);
});
