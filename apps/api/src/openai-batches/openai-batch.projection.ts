import type { EventOf, SluiceEvent } from '@sluice/events';
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
