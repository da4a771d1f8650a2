import { loadCatalogue } from '@sluice/catalogue';
import { createEvent, ObjectCompleted, ObjectFailed, ObjectSubmitted, QuoteRejected, type EventFactoryDeps } from '@sluice/events';
import { cancelObject, decide, dispatchDue, endDeadLettered, MAX_ATTEMPTS, type DecideContext, type ScheduledObject } from './scheduled-object.decider';

const now = new Date('2026-03-04T10:00:00.000Z');
const at = (ms: number) => new Date(now.getTime() + ms);
let n = 0;
const deps: EventFactoryDeps = { now: () => now, newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}` };
const ctx: DecideContext = { catalogue: loadCatalogue(), now, deps };

const given = (patch: Partial<ScheduledObject> = {}): ScheduledObject => ({
  objectId: 'obj-1',
  accountId: 'acct-1',
  status: 'dispatched',
  fundsReserved: true,
  work: { model: 'openai:gpt-4o', input: { text: 'hi' }, maxOutputTokens: 100 },
  inputTokens: 10,
  slaMinutes: 60,
  deadlineAt: at(60 * 60_000),
  pricing: { kind: 'sla', basePrice: { inputMicrosPerMillion: 2_500_000, outputMicrosPerMillion: 10_000_000 }, priceFactor: 0.6 },
  routing: null,
  mode: 'live',
  providerId: 'midway',
  dueAt: null,
  escalateAt: at(59 * 60_000),
  attempt: 1,
  avoidProviders: [],
  escalated: false,
  correlationId: 'task-1',
  traceparent: null,
  lastEventId: 'e0',
  ...patch,
});

const failure = (attempt: number, transient: boolean, retryAfterMs?: number) =>
  createEvent(
    ObjectFailed,
    { objectId: 'obj-1', accountId: 'acct-1', attempt, providerId: 'midway', transient, code: transient ? 'provider_unavailable' : 'invalid_request', message: 'x', ...(retryAfterMs ? { retryAfterMs } : {}) },
    { correlationId: 'task-1' },
    deps,
  );

describe('scheduler decider: failures and outcomes', () => {
  it('a transient failure reschedules after the backoff the provider asked for, avoiding it', () => {
    const { state, events } = decide(given(), failure(1, true, 30_000), ctx);
    expect(state).toMatchObject({ status: 'scheduled', avoidProviders: ['midway'], attempt: 1 });
    expect(events.map((e) => e.type)).toEqual(['ObjectScheduled']);
    expect(state?.dueAt?.getTime()).toBeGreaterThanOrEqual(at(30_000).getTime());
  });

  it('a failure of an older attempt is ignored', () => {
    expect(decide(given({ attempt: 2 }), failure(1, true), ctx).events).toEqual([]);
  });

  it('a late failure after completion is ignored', () => {
    expect(decide(given({ status: 'completed' }), failure(1, true), ctx)).toMatchObject({ state: { status: 'completed' }, events: [] });
  });

  it('an item without an SLA window gives up after its last quick attempt, with the code', () => {
    const noSla = { slaMinutes: null, deadlineAt: at(5 * 60_000) };
    const { state, events } = decide(given({ ...noSla, attempt: MAX_ATTEMPTS }), failure(MAX_ATTEMPTS, true), ctx);
    expect(state?.status).toBe('abandoned');
    expect(events[0]).toMatchObject({ type: 'ObjectAbandoned', payload: { code: 'provider_unavailable', attempts: MAX_ATTEMPTS } });
  });

  it('an SLA object keeps retrying past the quick attempts while its window leaves time, no sooner than the capped backoff', () => {
    const day = { slaMinutes: 1440, deadlineAt: at(24 * 3_600_000), escalateAt: at(23 * 3_600_000) };
    const late = decide(given({ ...day, attempt: 40 }), failure(40, true), ctx);
    expect(late.state?.status).toBe('scheduled');
    expect(late.events[0]).toMatchObject({ type: 'ObjectScheduled', payload: { reason: expect.stringMatching(/^retry 40 after provider_unavailable: /) } });
    expect(late.state!.dueAt!.getTime() - now.getTime()).toBeGreaterThanOrEqual(8 * 60_000);
  });

  it('an SLA object gives up once a retry could no longer finish inside its window, naming attempts, providers and the last error', () => {
    const { state, events } = decide(given({ deadlineAt: at(3_000), attempt: 9, avoidProviders: ['bargain'] }), failure(9, true), ctx);
    expect(state?.status).toBe('abandoned');
    expect(events[0]).toMatchObject({ type: 'ObjectAbandoned', payload: { code: 'provider_unavailable', attempts: 9 } });
    const { message } = events[0].payload as { message: string };
    expect(message).toMatch(/^gave up after 9 attempts: a retry could no longer finish inside the SLA window \(providers avoided after failing: bargain, midway\); last error: x$/);
  });

  it('once every provider of the model has failed, the next plan avoids only the last one, so a long retry goes round again', () => {
    const model = { work: { model: 'qwen-7b', input: { text: 'hi' }, maxOutputTokens: 100 } };
    const providers = ctx.catalogue.providers.filter((p) => p.models.some((m) => m.model === 'qwen-7b')).map((p) => p.id);
    const others = providers.filter((id) => id !== 'midway');
    const { state } = decide(given({ ...model, avoidProviders: others }), failure(1, true), ctx);
    expect(others.length).toBeGreaterThan(0);
    expect(state?.avoidProviders).toEqual(['midway']);
  });

  it('a transient failure with no time left before the deadline abandons', () => {
    const { events } = decide(given({ deadlineAt: at(1_000) }), failure(1, true), ctx);
    expect(events[0]).toMatchObject({ type: 'ObjectAbandoned', payload: { code: 'provider_unavailable' } });
  });

  it('a rejected quote ends a real-time object at once and retries an SLA object later', () => {
    const rejected = createEvent(QuoteRejected, { objectId: 'obj-1', accountId: 'acct-1', attempt: 1, code: 'price_cap_exceeded', message: 'x' }, { correlationId: 'task-1' }, deps);
    const realtime = decide(given({ pricing: { kind: 'realtime', markupBps: 500 }, slaMinutes: null }), rejected, ctx);
    expect(realtime.events[0]).toMatchObject({ type: 'ObjectAbandoned', payload: { code: 'price_cap_exceeded' } });
    const slaItem = decide(given(), rejected, ctx);
    expect(slaItem.state?.status).toBe('scheduled');
    expect(slaItem.state?.dueAt?.getTime()).toBeGreaterThan(now.getTime());
  });

  it('completion ends the object: nothing more is due', () => {
    const done = createEvent(
      ObjectCompleted,
      { objectId: 'obj-1', accountId: 'acct-1', attempt: 1, providerId: 'midway', mode: 'live', inputTokens: 10, outputTokens: 5, output: { text: 'ok' }, providerCostMicros: 1, latencyMs: 5 },
      { correlationId: 'task-1' },
      deps,
    );
    expect(decide(given(), done, ctx).state).toMatchObject({ status: 'completed', dueAt: null, escalateAt: null });
  });
});

describe('scheduler decider: dispatching what is due', () => {
  const batchMember = (id: string, dueAt: Date) =>
    given({ objectId: id, status: 'scheduled', mode: 'provider_batch', providerId: 'openai-direct', attempt: 0, dueAt });

  it('overtakes a batch job that is not back by its escalation time: live, escalated, next attempt', () => {
    const { states, events } = dispatchDue([given({ mode: 'provider_batch', escalateAt: at(-1), inputTokens: 1234 })], ctx, 10);
    // The router quotes with the count made at submission instead of counting the input again.
    expect(events[0]).toMatchObject({ type: 'ObjectDispatched', payload: { attempt: 2, escalated: true, inputTokens: 1234 } });
    expect(states[0]).toMatchObject({ status: 'dispatched', escalated: true, escalateAt: null });
  });

  it('holds a batch group that is neither due nor full', () => {
    expect(dispatchDue([batchMember('a', at(60_000)), batchMember('b', at(90_000))], ctx, 10).events).toEqual([]);
  });

  it('flushes a batch group whose earliest member is due as one job, and a full group at once', () => {
    const due = dispatchDue([batchMember('a', at(-1)), batchMember('b', at(90_000))], ctx, 10);
    expect(due.events).toHaveLength(1);
    expect(due.events[0]).toMatchObject({ type: 'BatchDispatched', payload: { providerId: 'openai-direct', items: [{ objectId: 'a', attempt: 1 }, { objectId: 'b', attempt: 1 }] } });
    const full = dispatchDue(['a', 'b', 'c'].map((id) => batchMember(id, at(60_000))), ctx, 2);
    expect(full.events.map((e) => e.type)).toEqual(['BatchDispatched']);
    expect(full.states.map((s) => s.objectId)).toEqual(['a', 'b']);
  });

  it('escalates at most the room it is given, earliest escalation time first; the rest wait, none joins a batch job', () => {
    const running = ['r3', 'r1', 'r2'].map((id, i) => given({ objectId: id, escalateAt: at(-1_000 * (i === 0 ? 1 : i === 1 ? 3 : 2)) }));
    const waitingBatch = batchMember('b1', at(-1));
    const pastBatch = { ...batchMember('b2', at(-1)), escalateAt: at(-500) };
    const { states, events } = dispatchDue([...running, waitingBatch, pastBatch], ctx, 10, 2);
    const escalated = events.filter((e) => e.type === 'ObjectDispatched').map((e) => (e.payload as { objectId: string }).objectId);
    expect(escalated).toEqual(['r1', 'r2']);
    // The batch member not yet past its escalation time flushes as planned; the one past it waits for room to go live.
    const batches = events.filter((e) => e.type === 'BatchDispatched');
    expect(batches.map((e) => (e.payload as { items: { objectId: string }[] }).items.map((i) => i.objectId))).toEqual([['b1']]);
    expect(states.map((o) => o.objectId).sort()).toEqual(['b1', 'r1', 'r2']);
    // With no room, nothing is escalated.
    expect(dispatchDue(running, ctx, 10, 0).events).toEqual([]);
  });

  it('dispatches a due live object and leaves one due later', () => {
    const { events } = dispatchDue([given({ status: 'scheduled', attempt: 0, dueAt: at(-1) }), given({ objectId: 'later', status: 'scheduled', attempt: 0, dueAt: at(5_000) })], ctx, 10);
    expect(events.map((e) => (e.payload as { objectId: string }).objectId)).toEqual(['obj-1']);
  });
});

describe('scheduler decider: a cancelled task', () => {
  const cancelled: DecideContext = { ...ctx, cancelledTasks: new Set(['task-1']) };
  const submission = createEvent(
    ObjectSubmitted,
    {
      objectId: 'obj-9', taskId: 'task-1', accountId: 'acct-1', index: 3, model: 'openai:gpt-4o', input: { text: 'hi' }, inputTokens: 10, maxOutputTokens: 100,
      slaMinutes: 60, deadlineAt: at(60 * 60_000).toISOString(), pricing: { kind: 'sla', basePrice: { inputMicrosPerMillion: 1, outputMicrosPerMillion: 1 }, priceFactor: 0.6 },
    },
    { correlationId: 'task-1' },
    deps,
  );

  it('given a planned object, when its task is cancelled, then it ends as batch_cancelled and is never dispatched', () => {
    const { state, events } = cancelObject(given({ status: 'scheduled', attempt: 0, dueAt: at(1_000) }), cancelled);
    expect(state).toMatchObject({ status: 'abandoned', dueAt: null });
    expect(events).toEqual([expect.objectContaining({ type: 'ObjectAbandoned', payload: expect.objectContaining({ code: 'batch_cancelled', attempts: 0 }) })]);
  });

  it('given a dispatched object, when its task is cancelled, then it runs on (its work is kept and charged)', () => {
    expect(cancelObject(given(), cancelled)).toEqual({ state: given(), events: [] });
    expect(cancelObject(given({ status: 'completed' }), cancelled).events).toEqual([]);
  });

  it('given a cancelled task, when one of its lines is submitted later, then it ends at once, before its funds are reserved', () => {
    const { state, events } = decide(null, submission, cancelled);
    expect(state?.status).toBe('abandoned');
    expect(events.map((e) => [e.type, (e.payload as { code?: string }).code])).toEqual([['ObjectAbandoned', 'batch_cancelled']]);
    expect(decide(null, submission, ctx).state?.status).toBe('awaiting_funds');
  });

  it('given a dispatched object of a cancelled task, when it fails transiently, then no retry is planned', () => {
    const { state, events } = decide(given(), failure(1, true), cancelled);
    expect(state?.status).toBe('abandoned');
    expect(events.map((e) => e.type)).toEqual(['ObjectAbandoned']);
  });

  it('given a planned object of a task cancelled elsewhere, when it falls due, then it ends instead of being dispatched', () => {
    const { states, events } = dispatchDue([given({ status: 'scheduled', attempt: 0, dueAt: at(-1) })], cancelled, 10);
    expect(events.map((e) => e.type)).toEqual(['ObjectAbandoned']);
    expect(states[0].status).toBe('abandoned');
  });
});

describe('scheduler decider: a consumer gave up on one of its events (dead-lettered)', () => {
  const letter = { group: 'router.dispatch', eventType: 'ObjectDispatched', reason: 'Error: boom' };

  it.each(['awaiting_funds', 'scheduled', 'dispatched'] as const)('given an object %s, then it ends as dead_lettered, naming the consumer, the event and the error', (status) => {
    const { state, events } = endDeadLettered(given({ status }), letter, ctx);
    expect(state).toMatchObject({ status: 'abandoned', dueAt: null, escalateAt: null });
    expect(events).toEqual([expect.objectContaining({ type: 'ObjectAbandoned', payload: expect.objectContaining({ objectId: 'obj-1', accountId: 'acct-1', code: 'dead_lettered' }) })]);
    const message = (events[0].payload as { message: string }).message;
    expect(message).toContain('router.dispatch');
    expect(message).toContain('ObjectDispatched');
    expect(message).toContain('Error: boom');
  });

  it.each(['completed', 'abandoned'] as const)('given an object %s already, then it is left as it ended', (status) => {
    expect(endDeadLettered(given({ status }), letter, ctx)).toEqual({ state: given({ status }), events: [] });
  });

  it('given an object ended as dead_lettered, when its late events arrive, then nothing more happens', () => {
    const ended = endDeadLettered(given(), letter, ctx).state as ScheduledObject;
    expect(decide(ended, failure(1, true), ctx).events).toEqual([]);
    expect(decide(ended, failure(1, false), ctx).events).toEqual([]);
  });
});
