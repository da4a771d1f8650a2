import type { EventOf, SluiceEvent } from '@sluice/events';
import { toUsd } from '@sluice/pricing';

/**
 * The words GET shows. An object waiting for a retry after a provider failure is `queued`
 * again (it waits for another dispatch); `completed` and `failed` are final.
 */
export type ObjectStatus = 'submitted' | 'queued' | 'running' | 'completed' | 'failed';

export const TERMINAL_STATUSES: readonly ObjectStatus[] = ['completed', 'failed'];

const deniedTwice = (row: { status: ObjectStatus; errorCode: string | null }, code: string) =>
  row.status === 'failed' && row.errorCode === 'insufficient_balance' && code === 'insufficient_balance';

const earliest = (a: string | null, b: string) => (a !== null && a < b ? a : b);

export function isTerminal(status: ObjectStatus): boolean {
  return status === 'completed' || status === 'failed';
}

/** One object as the read model keeps it; instants are ISO strings so rows compare as plain data. */
export interface ObjectRow {
  objectId: string;
  accountId: string;
  taskId: string | null;
  itemIndex: number | null;
  itemKey: string | null;
  model: string | null;
  status: ObjectStatus;
  inputTokens: number | null;
  priceFactor: number | null;
  maxOutputTokens: number | null;
  slaMinutes: number | null;
  deadlineAt: string | null;
  submittedAt: string | null;
  attempts: number;
  providerId: string | null;
  mode: string | null;
  outputTokens: number | null;
  outputText: string | null;
  outputBlobKey: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  slaMissed: boolean;
  finishedAt: string | null;
  updatedAt: string;
  customerRef: string | null;
  /** The submission's metadata as JSON text. */
  metadata: string | null;
  chargedMicros: number | null;
  balanceAfterMicros: number | null;
}

/** The events that change an object row. */
export type ObjectEvent = EventOf<
  | 'ObjectSubmitted'
  | 'ObjectRejected'
  | 'ObjectScheduled'
  | 'ObjectDispatched'
  | 'BatchDispatched'
  | 'QuoteAccepted'
  | 'QuoteRejected'
  | 'ObjectCompleted'
  | 'ObjectFailed'
  | 'ObjectAbandoned'
  | 'FundsDenied'
  | 'Charged'
>;

const OBJECT_EVENT_TYPES = new Set<string>([
  'ObjectSubmitted',
  'ObjectRejected',
  'ObjectScheduled',
  'ObjectDispatched',
  'BatchDispatched',
  'QuoteAccepted',
  'QuoteRejected',
  'ObjectCompleted',
  'ObjectFailed',
  'ObjectAbandoned',
  'FundsDenied',
  'Charged',
]);

export function isObjectEvent(event: SluiceEvent): event is ObjectEvent {
  return OBJECT_EVENT_TYPES.has(event.type);
}

/** The objects an event is about (a provider batch job names many). */
export function objectIdsOf(event: ObjectEvent): string[] {
  return event.type === 'BatchDispatched' ? event.payload.items.map((i) => i.objectId) : [event.payload.objectId];
}

function blank(objectId: string, accountId: string, at: string): ObjectRow {
  return {
    objectId,
    accountId,
    taskId: null,
    itemIndex: null,
    itemKey: null,
    model: null,
    status: 'submitted',
    inputTokens: null,
    priceFactor: null,
    maxOutputTokens: null,
    slaMinutes: null,
    deadlineAt: null,
    submittedAt: null,
    attempts: 0,
    providerId: null,
    mode: null,
    outputTokens: null,
    outputText: null,
    outputBlobKey: null,
    errorCode: null,
    errorMessage: null,
    slaMissed: false,
    finishedAt: null,
    updatedAt: at,
    customerRef: null,
    metadata: null,
    chargedMicros: null,
    balanceAfterMicros: null,
  };
}

function missedDeadline(row: ObjectRow): boolean {
  return row.status === 'completed' && row.deadlineAt !== null && row.finishedAt !== null && Date.parse(row.finishedAt) > Date.parse(row.deadlineAt);
}

/** A status change that a final status never undoes (late or out-of-order events cannot revive an object). */
function moveTo(row: ObjectRow, status: ObjectStatus): ObjectRow {
  return isTerminal(row.status) ? row : { ...row, status };
}

function usd(micros: number): string {
  return toUsd(micros).toFixed(6).replace(/\.?0+$/, '');
}

/**
 * Folds one event into the row of `objectId` (pure). Events of one object arrive in order on
 * its partition; two come from elsewhere and may arrive at any point: FundsDenied (billing,
 * keyed by account) and BatchDispatched (keyed by batch). So ObjectSubmitted fills in its
 * fields without touching a status already reached, and BatchDispatched only moves an object
 * forward.
 */
export function evolveObject(objectId: string, row: ObjectRow | null, event: ObjectEvent): ObjectRow {
  const at = event.occurredAt;
  const current = row ?? blank(objectId, accountOf(objectId, event), at);
  const next = apply(current, event, objectId);
  // The latest instant seen, not the last applied: replays in another cross-partition order agree.
  const settled = { ...next, updatedAt: current.updatedAt > at ? current.updatedAt : at };
  return { ...settled, slaMissed: missedDeadline(settled) };
}

function accountOf(objectId: string, event: ObjectEvent): string {
  if (event.type === 'BatchDispatched') return event.payload.items.find((i) => i.objectId === objectId)?.accountId ?? '';
  return event.payload.accountId;
}

/** Where an object sits in its task (the same on a submission and on a file line's rejection). */
const placement = (p: { taskId: string; index: number; itemKey?: string }) => ({ taskId: p.taskId, itemIndex: p.index, itemKey: p.itemKey ?? null });

function apply(row: ObjectRow, event: ObjectEvent, objectId: string): ObjectRow {
  switch (event.type) {
    case 'ObjectSubmitted': {
      const p = event.payload;
      return {
        ...row,
        // A real-time request is no task's item (its taskId only correlates its events).
        ...(p.gateway ? { taskId: null, itemIndex: null, itemKey: null } : placement(p)),
        model: p.model,
        inputTokens: p.inputTokens,
        priceFactor: p.pricing.kind === 'sla' ? p.pricing.priceFactor : null,
        maxOutputTokens: p.maxOutputTokens,
        slaMinutes: p.slaMinutes,
        deadlineAt: p.deadlineAt,
        submittedAt: event.occurredAt,
        customerRef: p.customerRef ?? null,
        metadata: p.metadata === undefined ? null : JSON.stringify(p.metadata),
      };
    }
    case 'ObjectRejected': {
      // A file line that cannot run: failed from the start, with its line number in the message.
      const p = event.payload;
      return {
        ...row,
        ...placement(p),
        status: 'failed',
        errorCode: p.code,
        errorMessage: p.message,
        submittedAt: event.occurredAt,
        finishedAt: event.occurredAt,
      };
    }
    case 'ObjectScheduled':
      // On the object's own partition a retry's plan follows the failure that made it queued, so
      // a running row here was moved on by a BatchDispatched (keyed by batch) that came first.
      if (isTerminal(row.status) || row.status === 'running') return row;
      return { ...moveTo(row, 'queued'), mode: event.payload.mode };
    case 'ObjectDispatched':
      return { ...moveTo(row, 'running'), attempts: Math.max(row.attempts, event.payload.attempt) };
    case 'BatchDispatched': {
      // Keyed by batch: it may arrive after the object finished live (an escalation overtook it).
      const item = event.payload.items.find((i) => i.objectId === objectId);
      if (isTerminal(row.status)) return { ...row, attempts: Math.max(row.attempts, item?.attempt ?? 0) };
      const forward = row.status === 'submitted' || row.status === 'queued' ? moveTo(row, 'running') : row;
      return { ...forward, attempts: Math.max(row.attempts, item?.attempt ?? 0), providerId: event.payload.providerId, mode: 'provider_batch' };
    }
    case 'QuoteAccepted':
      if (isTerminal(row.status)) return row;
      return { ...moveTo(row, 'running'), providerId: event.payload.providerId, mode: event.payload.mode };
    case 'QuoteRejected':
    case 'ObjectFailed':
      if (isTerminal(row.status)) return row;
      return { ...row, status: 'queued', errorCode: event.payload.code, errorMessage: event.payload.message };
    case 'ObjectCompleted': {
      if (isTerminal(row.status)) return row;
      const p = event.payload;
      return {
        ...row,
        status: 'completed',
        providerId: p.providerId,
        mode: p.mode,
        outputTokens: p.outputTokens,
        outputText: 'text' in p.output ? p.output.text : null,
        outputBlobKey: 'blobKey' in p.output ? p.output.blobKey : null,
        errorCode: null,
        errorMessage: null,
        finishedAt: event.occurredAt,
      };
    }
    case 'ObjectAbandoned':
      if (deniedTwice(row, event.payload.code)) return { ...row, finishedAt: earliest(row.finishedAt, event.occurredAt) };
      if (isTerminal(row.status)) return row;
      return {
        ...row,
        status: 'failed',
        attempts: Math.max(row.attempts, event.payload.attempts),
        errorCode: event.payload.code,
        errorMessage: event.payload.message,
        finishedAt: event.occurredAt,
      };
    case 'FundsDenied': {
      // Billing's denial and the scheduler's abandonment of it arrive on different topics in
      // either order: the denial's message (it has the amounts) and the earlier instant win.
      const errorMessage = `the wallet holds $${usd(event.payload.availableMicros)}, this item needs up to $${usd(event.payload.requiredMicros)}; add funds and submit it again`;
      if (deniedTwice(row, 'insufficient_balance')) return { ...row, errorMessage, finishedAt: earliest(row.finishedAt, event.occurredAt) };
      if (isTerminal(row.status)) return row;
      return { ...row, status: 'failed', errorCode: 'insufficient_balance', errorMessage, finishedAt: event.occurredAt };
    }
    case 'Charged':
      // Keyed by account: it may arrive before or after the object's last event; it changes no status.
      return { ...row, chargedMicros: event.payload.amountMicros, balanceAfterMicros: event.payload.availableMicros ?? null };
    default: {
      const never: never = event;
      throw new Error(`unhandled object event ${(never as SluiceEvent).type}`);
    }
  }
}

/** How many objects one (status, past-deadline) pair gains or loses. */
export interface StatusCountDelta {
  status: ObjectStatus;
  slaMissed: boolean;
  delta: number;
}

/**
 * What rewriting these rows does to the counts by status (the /metrics gauges): each row leaves
 * its old pair and joins its new one. Pairs that net to zero are left out; the rest come in key
 * order, so concurrent writers lock the count rows in one order.
 */
export function statusCountDeltas(changes: readonly { before: ObjectRow | null; after: ObjectRow }[]): StatusCountDelta[] {
  const deltas = new Map<string, StatusCountDelta>();
  const add = (row: ObjectRow, delta: number) => {
    const key = `${row.status}/${row.slaMissed}`;
    const entry = deltas.get(key) ?? { status: row.status, slaMissed: row.slaMissed, delta: 0 };
    entry.delta += delta;
    deltas.set(key, entry);
  };
  for (const { before, after } of changes) {
    if (before) add(before, -1);
    add(after, 1);
  }
  return [...deltas.entries()]
    .filter(([, d]) => d.delta !== 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, d]) => d);
}
