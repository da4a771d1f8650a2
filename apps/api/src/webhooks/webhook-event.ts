import type { EventOf } from '@sluice/events';

export type WebhookType = 'task.completed' | 'task.failed' | 'task.cancelled';

export interface WebhookEvent {
  eventId: string;
  type: WebhookType;
  /** The JSON sent, fixed once so every retry sends (and signs) the same bytes. */
  body: string;
}

/**
 * The webhook a task's end makes: `task.cancelled` when it was cancelled, `task.failed` when no
 * item completed, else `task.completed`. Its id is the TaskCompleted's, so one event is one delivery.
 */
export function taskWebhook(event: EventOf<'TaskCompleted'>, cancelled: boolean): WebhookEvent {
  const { taskId, completedItems, failedItems } = event.payload;
  const type: WebhookType = cancelled ? 'task.cancelled' : completedItems === 0 && failedItems > 0 ? 'task.failed' : 'task.completed';
  const status = type.slice('task.'.length);
  const body = JSON.stringify({
    id: event.eventId,
    object: 'event',
    type,
    created_at: event.occurredAt,
    data: { task_id: taskId, status, completed_items: completedItems, failed_items: failedItems },
  });
  return { eventId: event.eventId, type, body };
}
