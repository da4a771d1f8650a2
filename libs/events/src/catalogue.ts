import { timeOrderedId } from './ids';
import type { EventDefinition, PayloadOf } from './define-event';
import type { Envelope, EventContext } from './envelope';
import type { TopicName } from './topics';
import type { Upcaster } from './upcast';
import {
  Charged,
  FundsDenied,
  FundsReleased,
  FundsReserved,
  WalletCredited,
  WalletTopUpRequested,
  chargedV1ToV2,
} from './catalogue/billing.events';
import { FileDeleted, FileExpanded, FileStored, TaskOutputReady } from './catalogue/file.events';
import {
  BatchDispatched,
  ObjectAbandoned,
  ObjectCompleted,
  ObjectDispatched,
  ObjectFailed,
  ObjectRejected,
  ObjectScheduled,
  ObjectSubmitted,
  QuoteAccepted,
  QuoteRejected,
} from './catalogue/object.events';
import { ServiceHeartbeat } from './catalogue/service.events';
import { TaskCancelRequested, TaskCompleted, TaskSubmitted } from './catalogue/task.events';

export const Catalogue = {
  TaskSubmitted,
  TaskCompleted,
  TaskCancelRequested,
  ObjectSubmitted,
  ObjectRejected,
  ObjectScheduled,
  ObjectDispatched,
  QuoteAccepted,
  QuoteRejected,
  ObjectCompleted,
  ObjectFailed,
  ObjectAbandoned,
  BatchDispatched,
  FundsReserved,
  FundsDenied,
  FundsReleased,
  Charged,
  WalletCredited,
  WalletTopUpRequested,
  FileStored,
  FileExpanded,
  TaskOutputReady,
  FileDeleted,
  ServiceHeartbeat,
} as const;

export const Upcasters: readonly Upcaster[] = [chargedV1ToV2];

type Defs = (typeof Catalogue)[keyof typeof Catalogue];
export type EventType = Defs['type'];
export type DefinitionOf<T extends EventType> = Extract<Defs, { type: T }>;

/** The union of every event envelope, discriminated by `type`. */
export type SluiceEvent = { [T in EventType]: Envelope<T, PayloadOf<DefinitionOf<T>>> }[EventType];
export type EventOf<T extends EventType> = Extract<SluiceEvent, { type: T }>;

/** Which events may travel on which topic; `publish(topic, events)` is typed by it. */
export type TopicEventMap = { [Tp in TopicName]: Extract<SluiceEvent, { type: Extract<Defs, { topic: Tp }>['type'] }> };

export function definitionOf(type: string): Defs | undefined {
  return (Catalogue as Record<string, Defs>)[type];
}

export interface EventFactoryDeps {
  now: () => Date;
  newId: () => string;
}

export const systemDeps: EventFactoryDeps = { now: () => new Date(), newId: timeOrderedId };

/** Builds a validated envelope for `def`; throws if the payload does not match its schema. */
export function createEvent<D extends Defs>(
  def: D,
  payload: PayloadOf<D>,
  ctx: EventContext,
  deps: EventFactoryDeps = systemDeps,
): EventOf<D['type']> {
  return envelopeOf(def, def.schema.parse(payload) as PayloadOf<D>, ctx, deps);
}

/**
 * Builds the envelope without parsing the payload again: only for a hot path whose payload is
 * assembled from values already parsed (the files service's lines, a million per file), where
 * the second parse costs ~8% of the rate and a copy of every payload. Its tests check that the
 * schema accepts what it builds; consumers parse at the log's edge as always.
 */
export function createParsedEvent<D extends Defs>(def: D, payload: PayloadOf<D>, ctx: EventContext, deps: EventFactoryDeps = systemDeps): EventOf<D['type']> {
  return envelopeOf(def, payload, ctx, deps);
}

function envelopeOf<D extends Defs>(def: D, parsed: PayloadOf<D>, ctx: EventContext, deps: EventFactoryDeps): EventOf<D['type']> {
  const envelope = {
    eventId: deps.newId(),
    type: def.type,
    version: def.version,
    occurredAt: deps.now().toISOString(),
    key: (def as EventDefinition).key(parsed),
    correlationId: ctx.correlationId,
    causationId: ctx.causationId ?? null,
    ...(ctx.traceparent ? { traceparent: ctx.traceparent } : {}),
    payload: parsed,
  };
  return envelope as unknown as EventOf<D['type']>;
}

/**
 * An event of an object the real-time gateway ran and answered before writing it (its
 * submission, reservation and end carry `gateway: true`): nothing is left to plan, retry or
 * collect, so the scheduler and the files service skip it without a transaction.
 */
export function servedByGateway(event: SluiceEvent): boolean {
  return 'gateway' in event.payload && event.payload.gateway === true;
}

/** An object an event concerns, with its account. */
export interface ObjectRef {
  objectId: string;
  accountId: string;
}

/**
 * The objects an event is about: its `objectId`, or each item of a provider batch. Events about
 * a task, a file, a wallet or a service concern none.
 */
export function objectsOf(event: SluiceEvent): ObjectRef[] {
  const payload: object = event.payload;
  if (event.type === 'BatchDispatched') return event.payload.items.map((i) => ({ objectId: i.objectId, accountId: i.accountId }));
  if ('objectId' in payload && 'accountId' in payload && typeof payload.objectId === 'string' && typeof payload.accountId === 'string') {
    return [{ objectId: payload.objectId, accountId: payload.accountId }];
  }
  return [];
}
