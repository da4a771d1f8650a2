import { tokenCostMicros } from '@sluice/catalogue';
import type { EventOf, SluiceEvent } from '@sluice/events';
import { applyPriceFactor } from '@sluice/pricing';
import type { ObjectRow } from '../read-models/object.projection';
import type { BatchRow } from './openai-batch.view';

/** A moment in a batch's life that a task event marks. */
export interface BatchMark {
  batchId: string;
  at: string;
}

export interface BatchChanges {
  created: BatchRow[];
  /** TaskCancelRequested: the first one stands. */
  cancelling: BatchMark[];
  /** TaskCompleted: every line ended. */
  finalizing: BatchMark[];
}

/** The batch a task submission opens, when it is an OpenAI batch's (pure). */
export function batchRowOf(event: EventOf<'TaskSubmitted'>): BatchRow | null {
  const p = event.payload;
  if (!p.openaiBatch || !p.fileId || p.slaMinutes == null) return null;
  return {
    batchId: p.taskId,
    accountId: p.accountId,
    inputFileId: p.fileId,
    endpoint: p.openaiBatch.endpoint,
    completionWindow: p.openaiBatch.completionWindow,
    slaMinutes: p.slaMinutes,
    metadata: p.openaiBatch.metadata,
    createdAt: event.occurredAt,
    cancellingAt: null,
    finalizingAt: null,
  };
}

/**
 * What a batch of consumed events changes in the batches (pure). All three events travel on the
 * tasks topic keyed by the task, so a batch's submission comes before its marks; a mark of a
 * task that is no batch changes nothing.
 */
export function batchChangesOf(events: readonly SluiceEvent[]): BatchChanges {
  const changes: BatchChanges = { created: [], cancelling: [], finalizing: [] };
  for (const event of events) {
    if (event.type === 'TaskSubmitted') {
      const row = batchRowOf(event);
      if (row) changes.created.push(row);
    } else if (event.type === 'TaskCancelRequested') changes.cancelling.push({ batchId: event.payload.taskId, at: event.occurredAt });
    else if (event.type === 'TaskCompleted') changes.finalizing.push({ batchId: event.payload.taskId, at: event.occurredAt });
  }
  return changes;
}

/** A file task's expansion, as FileExpanded reports it. */
export interface Expansion {
  taskId: string;
  submitted: number;
  rejected: number;
  expandedAt: string;
}

export function expansionsOf(events: readonly SluiceEvent[]): Expansion[] {
  return events.flatMap((e) => (e.type === 'FileExpanded' ? [{ taskId: e.payload.taskId, submitted: e.payload.submitted, rejected: e.payload.rejected, expandedAt: e.occurredAt }] : []));
}

/** What a batch of events adds to one task's quote. */
export interface QuoteDelta {
  taskId: string;
  quotedItems: number;
  /** The items' base price on their input and most output. */
  baseMicros: number;
  /** The same at their quoted factors: what billing reserves for them. */
  expectedMicros: number;
  chargedMicros: number;
  minFactor: number | null;
  maxFactor: number | null;
}

/** An object row before and after a batch of events. */
export interface ObjectChange {
  before: ObjectRow | null;
  after: ObjectRow;
}

/** What an object's charge counts towards its task: once it is known both to belong to one and to be charged, in either order. */
const chargeCounted = (row: ObjectRow | null) => (row !== null && row.taskId !== null ? (row.chargedMicros ?? 0) : 0);

/**
 * What a batch of events adds to their tasks' quotes (pure): each SLA item's submission its
 * reservation bound, computed as billing computes it, and each charge once (a charge may be
 * projected before the submission that places its object in a task). Every event is applied
 * once (processed ids), so the sums only grow by what is new.
 */
export function quoteDeltasOf(events: readonly SluiceEvent[], changes: readonly ObjectChange[]): QuoteDelta[] {
  const deltas = new Map<string, QuoteDelta>();
  const delta = (taskId: string) => {
    let d = deltas.get(taskId);
    if (!d) deltas.set(taskId, (d = { taskId, quotedItems: 0, baseMicros: 0, expectedMicros: 0, chargedMicros: 0, minFactor: null, maxFactor: null }));
    return d;
  };
  for (const event of events) {
    if (event.type !== 'ObjectSubmitted' || event.payload.gateway || event.payload.pricing.kind !== 'sla') continue;
    const p = event.payload;
    const { basePrice, priceFactor } = p.pricing as Extract<typeof p.pricing, { kind: 'sla' }>;
    const base = tokenCostMicros(basePrice, p.inputTokens, p.maxOutputTokens);
    const d = delta(p.taskId);
    d.quotedItems += 1;
    d.baseMicros += base;
    d.expectedMicros += applyPriceFactor(base, priceFactor);
    d.minFactor = d.minFactor === null ? priceFactor : Math.min(d.minFactor, priceFactor);
    d.maxFactor = d.maxFactor === null ? priceFactor : Math.max(d.maxFactor, priceFactor);
  }
  for (const { before, after } of changes) {
    const charged = chargeCounted(after) - chargeCounted(before);
    if (charged !== 0 && after.taskId !== null) delta(after.taskId).chargedMicros += charged;
  }
  return [...deltas.values()];
}
