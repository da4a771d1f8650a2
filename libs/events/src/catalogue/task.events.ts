import { z } from 'zod';
import { defineEvent } from '../define-event';
import { Topics } from '../topics';
import { Id } from './common';

export const TaskSubmitted = defineEvent({
  type: 'TaskSubmitted',
  version: 1,
  topic: Topics.tasks,
  key: (p) => p.taskId,
  schema: z.object({
    taskId: Id,
    accountId: Id,
    totalItems: z.number().int().nonnegative(),
    outputFormat: z.enum(['json', 'jsonl']),
    /** Set when the items are the lines of an uploaded file: the files service expands it. */
    fileId: Id.optional(),
    /** The SLA window of a file's lines, in minutes (null: run at once). */
    slaMinutes: z.number().int().positive().nullable().optional(),
  }),
});

export const TaskCompleted = defineEvent({
  type: 'TaskCompleted',
  version: 1,
  topic: Topics.tasks,
  key: (p) => p.taskId,
  schema: z.object({
    taskId: Id,
    accountId: Id,
    completedItems: z.number().int().nonnegative(),
    failedItems: z.number().int().nonnegative(),
  }),
});
