import { z } from 'zod';
import { UNSTORABLE_MESSAGE, isStorableText } from '../errors/storable-text';

/** Page sizes of the `/v0` lists: a default that keeps an answer small, a ceiling that keeps one query bounded. */
export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 1_000;

const Limit = z.coerce
  .number('limit must be a number')
  .int('limit must be a whole number')
  .min(1, 'limit is at least 1')
  .max(MAX_PAGE_LIMIT, `limit is at most ${MAX_PAGE_LIMIT}`)
  .optional()
  .describe(`page size, default ${DEFAULT_PAGE_LIMIT}`);
const After = z.string().min(1, 'after must name an id').refine(isStorableText, `after ${UNSTORABLE_MESSAGE}`).optional();

export const ObjectStatusQuery = z.enum(['submitted', 'queued', 'running', 'completed', 'failed'], 'status is one of submitted, queued, running, completed, failed');
export const TaskStatusQuery = z.enum(
  ['submitted', 'queued', 'running', 'completed', 'failed', 'cancelling', 'cancelled'],
  'status is one of submitted, queued, running, completed, failed, cancelling, cancelled',
);

/** `GET /v0/infer/task/{id}?limit&after&status`: a page of the task's objects in item order. */
export const TaskObjectsQuerySchema = z.strictObject({ limit: Limit, after: After, status: ObjectStatusQuery.optional() });
export type TaskObjectsQuery = z.output<typeof TaskObjectsQuerySchema>;

/** `GET /v0/infer/tasks?limit&after&status&created_after`: the account's tasks, newest first. */
export const ListTasksQuerySchema = z.strictObject({
  limit: Limit,
  after: After,
  status: TaskStatusQuery.optional(),
  // In UTC: PostgreSQL refuses offsets past ±15:59, which ISO 8601 allows.
  created_after: z.iso
    .datetime({ offset: true, message: 'created_after is an ISO 8601 instant, e.g. 2026-01-31T12:00:00Z' })
    .transform((instant) => new Date(instant).toISOString())
    .optional(),
});
export type ListTasksQuery = z.output<typeof ListTasksQuerySchema>;

/** `GET /v0/files?limit&after`: the account's files, newest first. */
export const ListFilesV0QuerySchema = z.strictObject({ limit: Limit, after: After });
export type ListFilesV0Query = z.output<typeof ListFilesV0QuerySchema>;
