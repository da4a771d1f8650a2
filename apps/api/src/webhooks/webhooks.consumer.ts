import { Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { declareConsumer, type EventOf } from '@sluice/events';
import type { Subscription } from '@sluice/eventlog';
import type { RawSqlClient } from '@sluice/persistence';
import { EventStore } from '@sluice/platform';
import { WebhookDeliveryWorker } from './webhook-delivery.worker';
import { batchWebhook, taskWebhook } from './webhook-event';
import { enqueueDelivery, findWebhookTask, markWebhookTaskCancelled, recordWebhookTask } from './webhook.store';

export const WEBHOOKS_CONSUMER = declareConsumer({
  name: 'api-webhooks',
  description:
    "Keeps each task's callback_url and, when the task ends, a pending webhook delivery (task.completed, task.failed or task.cancelled; an OpenAI batch's batch.* once its files exist) committed with the event; a worker sends it.",
  handles: ['TaskSubmitted', 'TaskCancelRequested', 'TaskCompleted', 'TaskOutputReady'],
});

type Handled = EventOf<'TaskSubmitted' | 'TaskCancelRequested' | 'TaskCompleted' | 'TaskOutputReady'>;

/** Applies the task events to the webhook tables, in log order (a task's events share a partition). */
export async function applyWebhookEvents(tx: RawSqlClient, events: readonly Handled[], now: Date): Promise<number> {
  let enqueued = 0;
  for (const event of events) {
    switch (event.type) {
      case 'TaskSubmitted':
        if (event.payload.callbackUrl) await recordWebhookTask(tx, event.payload.taskId, event.payload.accountId, event.payload.callbackUrl, event.payload.openaiBatch !== undefined);
        break;
      case 'TaskCancelRequested':
        await markWebhookTaskCancelled(tx, event.payload.taskId);
        break;
      case 'TaskCompleted': {
        const target = await findWebhookTask(tx, event.payload.taskId);
        // An OpenAI batch's webhook waits for its output files (TaskOutputReady).
        if (!target || target.openaiBatch) break;
        await enqueueDelivery(tx, target, taskWebhook(event, target.cancelled), now);
        enqueued++;
        break;
      }
      case 'TaskOutputReady': {
        const target = await findWebhookTask(tx, event.payload.taskId);
        if (!target?.openaiBatch) break;
        await enqueueDelivery(tx, target, batchWebhook(event, target.cancelled), now);
        enqueued++;
        break;
      }
      default: {
        const unhandled: never = event;
        throw new Error(`api-webhooks does not handle ${(unhandled as { type: string }).type}`);
      }
    }
  }
  return enqueued;
}

/**
 * Deliveries come from the log: each is written in the transaction that records the
 * TaskCompleted as processed, so a crash neither loses one nor makes one twice.
 */
@Injectable()
export class WebhooksConsumer implements OnModuleInit, OnApplicationShutdown {
  private subscription?: Subscription;

  constructor(
    private readonly eventStore: EventStore<RawSqlClient>,
    private readonly worker: WebhookDeliveryWorker,
  ) {}

  async onModuleInit(): Promise<void> {
    let enqueued = 0;
    this.subscription = await this.eventStore.consume({
      consumer: WEBHOOKS_CONSUMER,
      handle: async (tx, events) => {
        enqueued = await applyWebhookEvents(tx, events, new Date());
        return [];
      },
      afterCommit: () => {
        if (enqueued > 0) this.worker.wake();
        enqueued = 0;
      },
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.stop();
  }
}
