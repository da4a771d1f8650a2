import { z } from 'zod';
import { defineEvent } from '../define-event';
import { Topics } from '../topics';
import { Id } from './common';

export const TaskSubmitted = defineEvent({
  type: 'TaskSubmitted',
  version: 1,
  topic: Topics.tasks,
  key: (p) => p.taskId,
  producedBy: ['api'],
  description: 'A customer submitted a task: inline items, a file task, or an OpenAI batch over a file.',
  schema: z.object({
    taskId: Id,
    accountId: Id,
    totalItems: z.number().int().nonnegative(),
    outputFormat: z.enum(['json', 'jsonl']),
    /** Set when the items are the lines of an uploaded file: the files service expands it. */
    fileId: Id.optional(),
    /** The SLA window of a file's lines, in minutes (null: run at once). */
    slaMinutes: z.number().int().positive().nullable().optional(),
    /** Where the task's webhook (`task.completed`, `task.failed`, `task.cancelled`) is POSTed, signed. */
    callbackUrl: z.string().min(1).optional(),
    /**
     * Set for an OpenAI batch (`POST /v1/batches`, over a file): its results become OpenAI's
     * output file (successes) and error file (failures), and the batch keeps what was asked.
     */
    openaiBatch: z
      .object({
        endpoint: z.literal('/v1/chat/completions'),
        /** As the customer wrote it ("24h", "90m"); `slaMinutes` is what it means. */
        completionWindow: z.string().min(1),
        metadata: z.record(z.string(), z.string()).nullable(),
      })
      .optional(),
  }),
});

/**
 * The customer cancelled the task (`POST /v0/infer/task/{id}/cancel`, `POST /v1/batches/{id}/cancel`): the scheduler ends each of
 * its objects that has not been dispatched (ObjectAbandoned, code `batch_cancelled`, and billing
 * releases its reservation); what runs or ran is kept and charged.
 */
export const TaskCancelRequested = defineEvent({
  type: 'TaskCancelRequested',
  version: 1,
  topic: Topics.tasks,
  key: (p) => p.taskId,
  producedBy: ['api'],
  description: 'The customer cancelled the task; its objects not dispatched yet are abandoned.',
  schema: z.object({ taskId: Id, accountId: Id }),
});

export const TaskCompleted = defineEvent({
  type: 'TaskCompleted',
  version: 1,
  topic: Topics.tasks,
  key: (p) => p.taskId,
  producedBy: ['api'],
  description: "The task's last item became final (completed or failed).",
  schema: z.object({
    taskId: Id,
    accountId: Id,
    completedItems: z.number().int().nonnegative(),
    failedItems: z.number().int().nonnegative(),
  }),
});
