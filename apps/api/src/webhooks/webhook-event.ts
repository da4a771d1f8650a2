import type { EventOf } from '@sluice/events';

export type WebhookType = 'task.completed' | 'task.failed' | 'task.cancelled' | 'batch.completed' | 'batch.failed' | 'batch.cancelled';

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

/**
 * The webhook an OpenAI batch's end makes, once its output and error files exist (OpenAI's
 * `batch.*` events): `batch.cancelled` when it was cancelled, `batch.failed` when no line
 * succeeded, else `batch.completed`. Its id is the TaskOutputReady's.
 */
export function batchWebhook(event: EventOf<'TaskOutputReady'>, cancelled: boolean): WebhookEvent {
  const { taskId, lines, fileId, errorFile } = event.payload;
  const failed = errorFile?.lines ?? 0;
  const type: WebhookType = cancelled ? 'batch.cancelled' : lines === 0 && failed > 0 ? 'batch.failed' : 'batch.completed';
  const body = JSON.stringify({
    id: event.eventId,
    object: 'event',
    type,
    created_at: event.occurredAt,
    data: {
      id: taskId,
      status: type.slice('batch.'.length),
      output_file_id: lines > 0 ? fileId : null,
      error_file_id: errorFile?.fileId ?? null,
      request_counts: { total: lines + failed, completed: lines, failed },
    },
  });
  return { eventId: event.eventId, type, body };
}
