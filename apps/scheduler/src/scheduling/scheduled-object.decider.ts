import type { Catalogue } from '@sluice/catalogue';
import {
  BatchDispatched,
  createEvent,
  FailureCodes,
  ObjectAbandoned,
  ObjectDispatched,
  ObjectScheduled,
  type EventContext,
  type EventFactoryDeps,
  type EventOf,
  type Pricing,
  type Routing,
  type SluiceEvent,
  type Work,
} from '@sluice/events';
import { createHash } from 'node:crypto';
import { providersFor } from '@sluice/catalogue';
import { latestRetryStart, planObject, retryDelayMs, slaRetryDelayMs, type Plan } from '../planning/plan.planner';

/**
 * After this many dispatches a transient failure ends an object without an SLA window (its
 * customer is waiting); an SLA object retries for as long as its window allows.
 */
export const MAX_ATTEMPTS = 6;

export type ScheduledStatus = 'awaiting_funds' | 'awaiting_submission' | 'scheduled' | 'dispatched' | 'completed' | 'abandoned';

export interface ScheduledObject {
  objectId: string;
  accountId: string;
  status: ScheduledStatus;
  fundsReserved: boolean;
  work: Work | null;
  inputTokens: number;
  slaMinutes: number | null;
  deadlineAt: Date | null;
  pricing: Pricing | null;
  routing: Routing | null;
  mode: 'live' | 'provider_batch' | null;
  providerId: string | null;
  dueAt: Date | null;
  escalateAt: Date | null;
  /** Dispatches so far. */
  attempt: number;
  avoidProviders: string[];
  escalated: boolean;
  correlationId: string;
  traceparent: string | null;
  /** The last event that changed the object: what the next produced event is caused by. */
  lastEventId: string;
}

export interface DecideContext {
  catalogue: Catalogue;
  now: Date;
  deps: EventFactoryDeps;
  /** Tasks the customer cancelled (of the objects at hand): their objects are not planned or dispatched again. */
  cancelledTasks?: ReadonlySet<string>;
}

export const CANCELLED_CODE = FailureCodes.batchCancelled;
const CANCELLED_MESSAGE = 'the batch was cancelled before this request started';

/** An SLA object's events are correlated by its task (the API's submission and the files service's expansion say so). */
export const taskOf = (o: ScheduledObject): string => o.correlationId;
const isCancelled = (o: ScheduledObject, ctx: DecideContext) => ctx.cancelledTasks?.has(taskOf(o)) ?? false;

export interface Decision {
  state: ScheduledObject | null;
  events: SluiceEvent[];
}

/** The events the scheduler consumes; everything else leaves its state alone. */
export type SchedulerInput = EventOf<
  'ObjectSubmitted' | 'FundsReserved' | 'FundsDenied' | 'ObjectFailed' | 'QuoteRejected' | 'ObjectCompleted'
>;

const contextOf = (o: ScheduledObject): EventContext => ({
  correlationId: o.correlationId,
  causationId: o.lastEventId,
  ...(o.traceparent ? { traceparent: o.traceparent } : {}),
});

const isOver = (o: ScheduledObject) => o.status === 'completed' || o.status === 'abandoned';

function abandon(o: ScheduledObject, code: string, message: string, ctx: DecideContext): Decision {
  const event = createEvent(
    ObjectAbandoned,
    { objectId: o.objectId, accountId: o.accountId, attempts: o.attempt, code, message },
    contextOf(o),
    ctx.deps,
  );
  return { state: { ...o, status: 'abandoned', dueAt: null, escalateAt: null }, events: [event] };
}

/** Plans the object from `from` on and records the plan as ObjectScheduled; an object of a cancelled task ends instead. */
function schedule(o: ScheduledObject, from: Date, ctx: DecideContext, reasonPrefix = ''): Decision {
  if (isCancelled(o, ctx)) return abandon(o, CANCELLED_CODE, CANCELLED_MESSAGE, ctx);
  if (!o.work || !o.pricing || !o.deadlineAt) return { state: o, events: [] };
  const plan: Plan = planObject(
    ctx.catalogue,
    {
      model: o.work.model,
      inputTokens: o.inputTokens,
      outputTokens: o.work.maxOutputTokens,
      slaMinutes: o.slaMinutes,
      deadlineAt: o.deadlineAt,
      pricing: o.pricing,
      avoidProviders: o.avoidProviders,
    },
    from,
  );
  const event = createEvent(
    ObjectScheduled,
    {
      objectId: o.objectId,
      accountId: o.accountId,
      runAt: plan.runAt.toISOString(),
      mode: plan.mode,
      ...(plan.providerId ? { providerId: plan.providerId } : {}),
      estimatedProviderCostMicros: plan.estimatedProviderCostMicros,
      reason: reasonPrefix + plan.reason,
    },
    contextOf(o),
    ctx.deps,
  );
  const state: ScheduledObject = {
    ...o,
    status: 'scheduled',
    mode: plan.mode,
    providerId: plan.providerId ?? null,
    dueAt: plan.runAt,
    escalateAt: plan.escalateAt,
    escalated: plan.escalated,
  };
  return { state, events: [event] };
}

function blank(objectId: string, accountId: string, event: SluiceEvent): ScheduledObject {
  return {
    objectId,
    accountId,
    status: 'awaiting_submission',
    fundsReserved: false,
    work: null,
    inputTokens: 0,
    slaMinutes: null,
    deadlineAt: null,
    pricing: null,
    routing: null,
    mode: null,
    providerId: null,
    dueAt: null,
    escalateAt: null,
    attempt: 0,
    avoidProviders: [],
    escalated: false,
    correlationId: event.correlationId,
    traceparent: event.traceparent ?? null,
    lastEventId: event.eventId,
  };
}

/**
 * What the scheduler does with one consumed event. Pure: the clock, ids and catalogue come in
 * with `ctx`. FundsReserved may overtake ObjectSubmitted (different topics), so either order plans.
 */
export function decide(current: ScheduledObject | null, event: SchedulerInput, ctx: DecideContext): Decision {
  const base = current ?? blank(event.payload.objectId, event.payload.accountId, event);
  const o: ScheduledObject = { ...base, lastEventId: event.eventId };
  switch (event.type) {
    case 'ObjectSubmitted': {
      if (current && current.status !== 'awaiting_submission') return { state: current, events: [] };
      const p = event.payload;
      const submitted: ScheduledObject = {
        ...o,
        status: o.fundsReserved ? 'awaiting_submission' : 'awaiting_funds',
        work: { model: p.model, input: p.input, maxOutputTokens: p.maxOutputTokens, ...(p.params ? { params: p.params } : {}) },
        inputTokens: p.inputTokens,
        slaMinutes: p.slaMinutes,
        deadlineAt: new Date(p.deadlineAt),
        pricing: p.pricing,
        routing: p.routing ?? null,
        correlationId: event.correlationId,
        traceparent: event.traceparent ?? null,
      };
      // An object of a cancelled task ends at once, without waiting for its funds (billing then releases them).
      if (submitted.fundsReserved || isCancelled(submitted, ctx)) return schedule(submitted, ctx.now, ctx);
      return { state: submitted, events: [] };
    }
    case 'FundsReserved': {
      if (o.fundsReserved || isOver(o)) return { state: current, events: [] };
      const reserved = { ...o, fundsReserved: true };
      return reserved.status === 'awaiting_funds' ? schedule(reserved, ctx.now, ctx) : { state: reserved, events: [] };
    }
    case 'FundsDenied': {
      if (isOver(o) || o.status === 'scheduled' || o.status === 'dispatched') return { state: current, events: [] };
      return abandon(o, FailureCodes.insufficientBalance, 'the wallet cannot cover this object', ctx);
    }
    case 'ObjectCompleted': {
      // Unknown: an object this scheduler never dispatched (the real-time gateway served it).
      if (!current || isOver(o)) return { state: current, events: [] };
      return { state: { ...o, status: 'completed', dueAt: null, escalateAt: null }, events: [] };
    }
    case 'ObjectFailed': {
      const p = event.payload;
      if (o.status !== 'dispatched' || p.attempt !== o.attempt) return { state: current, events: [] };
      if (!p.transient) return abandon(o, p.code, p.message, ctx);
      return retry({ ...o, avoidProviders: avoidAfter(o, p.providerId, ctx) }, p.code, p.message, ctx, p.retryAfterMs);
    }
    case 'QuoteRejected': {
      const p = event.payload;
      if (o.status !== 'dispatched' || p.attempt !== o.attempt) return { state: current, events: [] };
      if (o.pricing?.kind !== 'sla') return abandon(o, p.code, p.message, ctx);
      return retry(o, p.code, p.message, ctx);
    }
    default: {
      const unhandled: never = event;
      return unhandled;
    }
  }
}

/** A draw in [0, 1) fixed by the object and attempt: the decider stays a pure function. */
function jitterUnit(o: ScheduledObject): number {
  return createHash('sha256').update(`${o.objectId}:${o.attempt}`).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * The providers the next plan avoids after `failed` failed: every one that failed so far, until
 * that would leave none of the model's providers; then only the last one (or none, when the
 * model has a single provider), so that a long retry goes round them again.
 */
function avoidAfter(o: ScheduledObject, failed: string | undefined, ctx: DecideContext): string[] {
  if (!failed || !o.work) return o.avoidProviders;
  const avoid = o.avoidProviders.includes(failed) ? o.avoidProviders : [...o.avoidProviders, failed];
  const serving = providersFor(ctx.catalogue, o.work.model).map(({ provider }) => provider.id);
  if (serving.every((id) => avoid.includes(id))) return serving.length > 1 ? [failed] : [];
  return avoid;
}

/**
 * A transient failure or a rejected quote. An SLA object retries with capped exponential backoff
 * and jitter until a retry could no longer finish inside its window; an object without a window
 * (its customer is waiting) gets MAX_ATTEMPTS quick tries before its deadline.
 */
function retry(o: ScheduledObject, code: string, message: string, ctx: DecideContext, retryAfterMs?: number): Decision {
  const windowed = o.pricing?.kind === 'sla' && o.slaMinutes !== null && o.work !== null && o.deadlineAt !== null;
  const tried = o.avoidProviders.length > 0 ? ` (providers avoided after failing: ${o.avoidProviders.join(', ')})` : '';
  if (!windowed) {
    if (o.attempt >= MAX_ATTEMPTS) return abandon(o, code, `gave up after ${o.attempt} attempts: ${message}`, ctx);
    const retryAt = new Date(ctx.now.getTime() + retryDelayMs(o.attempt, retryAfterMs));
    if (o.deadlineAt && retryAt.getTime() >= o.deadlineAt.getTime()) return abandon(o, code, `no time left before the deadline to retry: ${message}`, ctx);
    return schedule(o, retryAt, ctx, `retry after ${code}: `);
  }
  const retryAt = new Date(ctx.now.getTime() + slaRetryDelayMs(o.attempt, jitterUnit(o), retryAfterMs));
  const latest = latestRetryStart(
    ctx.catalogue,
    { model: o.work!.model, inputTokens: o.inputTokens, outputTokens: o.work!.maxOutputTokens, slaMinutes: o.slaMinutes, deadlineAt: o.deadlineAt!, pricing: o.pricing!, avoidProviders: [] },
    ctx.now,
  );
  if (retryAt.getTime() > latest.getTime()) {
    return abandon(o, code, `gave up after ${o.attempt} attempts: a retry could no longer finish inside the SLA window${tried}; last error: ${message}`, ctx);
  }
  return schedule(o, retryAt, ctx, `retry ${o.attempt} after ${code}: `);
}

/**
 * The customer cancelled the task (TaskCancelRequested): each of its objects that has not been
 * dispatched ends (ObjectAbandoned, and billing releases what it reserved); one dispatched runs on
 * and is charged as usual, and a retry of it is not planned (see schedule).
 */
export function cancelObject(o: ScheduledObject, ctx: DecideContext): Decision {
  if (isOver(o) || o.status === 'dispatched') return { state: o, events: [] };
  return abandon(o, CANCELLED_CODE, CANCELLED_MESSAGE, ctx);
}

/**
 * A consumer gave up on one of the object's events (it went to the dead-letter topic): the
 * object would wait forever for what that consumer never did, so it ends now with
 * `dead_lettered`, naming the consumer and its error, and billing releases its reservation.
 * An object over already is left as it ended.
 */
export function endDeadLettered(o: ScheduledObject, deadLetter: { group: string; eventType: string; reason: string }, ctx: DecideContext): Decision {
  if (isOver(o)) return { state: o, events: [] };
  const message = `internal error: ${deadLetter.group} could not handle ${deadLetter.eventType} after its retries (${deadLetter.reason.slice(0, 300)}); nothing is charged`;
  return abandon(o, FailureCodes.deadLettered, message, ctx);
}

function dispatchLive(o: ScheduledObject, escalated: boolean, ctx: DecideContext): Decision {
  if (!o.work || !o.pricing || !o.deadlineAt) return { state: o, events: [] };
  const attempt = o.attempt + 1;
  const event = createEvent(
    ObjectDispatched,
    {
      objectId: o.objectId,
      accountId: o.accountId,
      attempt,
      work: o.work,
      deadlineAt: o.deadlineAt.toISOString(),
      ...(o.routing ? { routing: o.routing } : {}),
      pricing: o.pricing,
      avoidProviders: o.avoidProviders,
      escalated,
      inputTokens: o.inputTokens,
    },
    contextOf(o),
    ctx.deps,
  );
  const state: ScheduledObject = {
    ...o,
    status: 'dispatched',
    mode: 'live',
    attempt,
    escalated,
    dueAt: null,
    escalateAt: escalated ? null : o.escalateAt,
    lastEventId: event.eventId,
  };
  return { state, events: [event] };
}

/**
 * Dispatches what is due at `ctx.now`: escalations first (an unfinished object whose deadline
 * nears, even one waiting on a batch job, goes live to the fastest provider; at most
 * `maxEscalations`, earliest first), then due live objects, then provider batch groups by
 * (provider, model) that are full or whose earliest member is due, each flushed as one
 * BatchDispatched of at most `maxBatchItems` objects. An object past its escalation time beyond
 * the cap waits for its turn, or runs as planned when that is due.
 */
export function dispatchDue(
  rows: readonly ScheduledObject[],
  ctx: DecideContext,
  maxBatchItems: number,
  maxEscalations = Number.POSITIVE_INFINITY,
): { states: ScheduledObject[]; events: SluiceEvent[] } {
  const now = ctx.now.getTime();
  const states: ScheduledObject[] = [];
  const events: SluiceEvent[] = [];
  const groups = new Map<string, ScheduledObject[]>();
  const pastEscalation = (o: ScheduledObject) =>
    (o.status === 'scheduled' || o.status === 'dispatched') && !o.escalated && o.escalateAt !== null && o.escalateAt.getTime() <= now;
  const escalating = new Set(
    rows
      .filter((o) => pastEscalation(o) && !(o.status === 'scheduled' && isCancelled(o, ctx)))
      .sort((a, b) => (a.escalateAt?.getTime() ?? 0) - (b.escalateAt?.getTime() ?? 0))
      .slice(0, Math.max(0, maxEscalations)),
  );
  for (const o of rows) {
    if (o.status === 'scheduled' && isCancelled(o, ctx)) {
      // Planned before its task's cancellation was seen (another instance's): it never starts.
      const d = abandon(o, CANCELLED_CODE, CANCELLED_MESSAGE, ctx);
      states.push(d.state as ScheduledObject);
      events.push(...d.events);
    } else if (escalating.has(o)) {
      const d = dispatchLive(o, true, ctx);
      states.push(d.state as ScheduledObject);
      events.push(...d.events);
    } else if (o.status === 'scheduled' && o.mode === 'provider_batch' && o.providerId && o.work) {
      // Past its escalation time, it waits for room to go live rather than join a batch job.
      if (pastEscalation(o)) continue;
      const key = `${o.providerId}\u0000${o.work.model}`;
      groups.set(key, [...(groups.get(key) ?? []), o]);
    } else if (o.status === 'scheduled' && o.dueAt && o.dueAt.getTime() <= now) {
      const d = dispatchLive(o, o.escalated, ctx);
      states.push(d.state as ScheduledObject);
      events.push(...d.events);
    }
  }
  for (const members of groups.values()) {
    const ordered = [...members].sort((a, b) => (a.dueAt?.getTime() ?? 0) - (b.dueAt?.getTime() ?? 0));
    for (let i = 0; i < ordered.length; i += maxBatchItems) {
      const chunk = ordered.slice(i, i + maxBatchItems);
      const due = chunk.length >= maxBatchItems || chunk.some((o) => o.dueAt !== null && o.dueAt.getTime() <= now);
      if (!due) continue;
      const batchId = ctx.deps.newId();
      const first = chunk[0];
      const event = createEvent(
        BatchDispatched,
        {
          batchId,
          providerId: first.providerId as string,
          model: (first.work as Work).model,
          items: chunk.map((o) => ({
            objectId: o.objectId,
            accountId: o.accountId,
            attempt: o.attempt + 1,
            work: o.work as Work,
            pricing: o.pricing as Pricing,
          })),
        },
        { correlationId: batchId, causationId: first.lastEventId, ...(first.traceparent ? { traceparent: first.traceparent } : {}) },
        ctx.deps,
      );
      events.push(event);
      for (const o of chunk) states.push({ ...o, status: 'dispatched', attempt: o.attempt + 1, dueAt: null, lastEventId: event.eventId });
    }
  }
  return { states, events };
}
