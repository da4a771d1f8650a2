import { z } from 'zod';
import { isStorableText, UNSTORABLE_MESSAGE } from '../errors/storable-text';

const Limit = z.coerce.number('limit must be a number').int('limit must be a whole number').min(1, 'limit is at least 1').max(100, 'limit is at most 100');
const Cursor = z.string().min(1, 'after must name an id').max(100, 'after is at most 100 characters').refine(isStorableText, `after ${UNSTORABLE_MESSAGE}`);

/** `?after&limit` of the account's lists (newest first; `after` is the last id of the page before). */
export const PageQuerySchema = z.strictObject({ after: Cursor.optional(), limit: Limit.optional() });

const UNIX_SECONDS = /^[0-9]{1,11}$/;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** An instant as Unix seconds (`1765000000`) or ISO 8601 (`2026-12-06`, `2026-12-06T10:00:00Z`). */
const Instant = (field: string) =>
  z
    .string()
    .refine((s) => (UNIX_SECONDS.test(s) || ISO_INSTANT.test(s)) && !Number.isNaN(toDate(s).getTime()), `${field} must be Unix seconds or an ISO 8601 instant`)
    .transform(toDate);

function toDate(s: string): Date {
  return UNIX_SECONDS.test(s) ? new Date(Number(s) * 1_000) : new Date(s);
}

/** `GET /v1/usage?start_time&end_time&group_by`: [start_time, end_time), by model (default) or UTC day. */
export const UsageQuerySchema = z
  .strictObject({
    start_time: Instant('start_time').optional(),
    end_time: Instant('end_time').optional(),
    group_by: z.enum(['model', 'day'], 'group_by is "model" or "day"').default('model'),
  });

/** Without `start_time`, usage looks back this far from `end_time` (default: now). */
export const DEFAULT_USAGE_WINDOW_MS = 30 * 24 * 60 * 60 * 1_000;
