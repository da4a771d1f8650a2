import { tokenCostMicros, type TokenPrice } from '@sluice/catalogue';
import { ObjectCompleted, ObjectFailed, createEvent, type EventContext, type EventFactoryDeps, type EventOf, type SluiceEvent } from '@sluice/events';
import type { BatchItemResult } from '@sluice/providers';

export type BatchDispatchItem = EventOf<'BatchDispatched'>['payload']['items'][number];

/** A provider batch job as the router keeps it between submission and the provider's answer. */
export interface BatchJob {
  readonly batchId: string;
  readonly providerId: string;
  readonly providerBatchId: string;
  /** The model's canonical id. */
  readonly model: string;
  readonly items: readonly BatchDispatchItem[];
  readonly context: EventContext;
  readonly submittedAt: Date;
}

/** How an item is known to the provider: one attempt of one object. */
export const batchCustomId = (item: { objectId: string; attempt: number }) => `${item.objectId}#${item.attempt}`;

/**
 * Pure: the events a finished provider batch job produces, one per item, in item order.
 * Completed items cost the provider's batch price on actual tokens; failed items fail as a
 * live call with the same error would; items the provider never ran (expired, cancelled)
 * fail transient, so the scheduler runs them again.
 */
export function batchOutcomeEvents(job: BatchJob, batchPrice: TokenPrice, results: readonly BatchItemResult[], deps: EventFactoryDeps): SluiceEvent[] {
  const byCustomId = new Map(results.map((r) => [r.customId, r]));
  const latencyMs = Math.max(0, deps.now().getTime() - job.submittedAt.getTime());
  return job.items.map((item) => {
    const base = { objectId: item.objectId, accountId: item.accountId, attempt: item.attempt };
    const result = byCustomId.get(batchCustomId(item));
    if (!result) {
      return createEvent(
        ObjectFailed,
        { ...base, providerId: job.providerId, transient: true, code: 'provider_batch_item_not_run', message: `${job.providerId} finished batch ${job.providerBatchId} without running this item` },
        job.context,
        deps,
      );
    }
    if (!result.ok) {
      return createEvent(
        ObjectFailed,
        { ...base, providerId: job.providerId, transient: result.error.transient, code: result.error.code, message: result.error.message },
        job.context,
        deps,
      );
    }
    return createEvent(
      ObjectCompleted,
      {
        ...base,
        providerId: job.providerId,
        mode: 'provider_batch',
        inputTokens: result.inputTokens,
        outputTokens: result.outputTokens,
        output: { text: result.text },
        providerCostMicros: tokenCostMicros(batchPrice, result.inputTokens, result.outputTokens),
        latencyMs,
      },
      job.context,
      deps,
    );
  });
}
