import { z } from 'zod';
import { ValidationError, type FieldError } from '../errors/api-error';
import { fieldName } from '../errors/parse-body';
import { UNSTORABLE_MESSAGE, isStorableText } from '../errors/storable-text';

/** The longest window a batch may ask for: the SLA API's longest (one year). */
export const MAX_WINDOW_MINUTES = 525_600;
const UNIT_MINUTES = { m: 1, h: 60, d: 24 * 60 } as const;

/**
 * `completion_window` as minutes of SLA: OpenAI's "24h", and any other whole number of minutes,
 * hours or days ("90m", "1h", "3d"); null when it is not one of those or is out of range.
 */
export function completionWindowMinutes(window: string): number | null {
  const match = /^([1-9][0-9]{0,6})(m|h|d)$/.exec(window);
  if (!match) return null;
  const minutes = Number(match[1]) * UNIT_MINUTES[match[2] as keyof typeof UNIT_MINUTES];
  return minutes <= MAX_WINDOW_MINUTES ? minutes : null;
}

const storable = (field: string) => z.string().refine(isStorableText, `${field} ${UNSTORABLE_MESSAGE}`);

/** OpenAI's metadata: up to 16 pairs, keys up to 64 characters, values up to 512. */
const Metadata = z
  .record(storable('metadata keys').max(64, 'metadata keys are at most 64 characters'), storable('metadata values').max(512, 'metadata values are at most 512 characters'), 'metadata must be an object of strings')
  .refine((m) => Object.keys(m).length <= 16, 'metadata holds at most 16 pairs');

/** `POST /v1/batches`, as OpenAI's Batch API takes it; any other field is refused. */
export const CreateBatchSchema = z.strictObject({
  input_file_id: z.string('input_file_id is required: the id of a file uploaded with purpose "batch"').min(1, 'input_file_id is required').pipe(storable('input_file_id')),
  endpoint: z.literal('/v1/chat/completions', 'endpoint must be "/v1/chat/completions" (the only endpoint Sluice batches)'),
  completion_window: z
    .string('completion_window is required, e.g. "24h"')
    .refine((w) => completionWindowMinutes(w) !== null, `completion_window must be a whole number of minutes, hours or days ("24h", "90m", "3d"), at most ${MAX_WINDOW_MINUTES} minutes`),
  metadata: Metadata.nullish(),
});
export type CreateBatchRequest = z.infer<typeof CreateBatchSchema>;

const Limit = (max: number) =>
  z.coerce.number('limit must be a number').int('limit must be a whole number').min(1, 'limit is at least 1').max(max, `limit is at most ${max}`);
const Cursor = z.string().min(1, 'after must name an id').pipe(storable('after'));

/** `GET /v1/batches?after&limit`: newest first. */
export const ListBatchesQuerySchema = z.strictObject({ after: Cursor.optional(), limit: Limit(100).optional() });
/** `GET /v1/files?purpose&after&limit&order`. */
export const ListFilesQuerySchema = z.strictObject({
  purpose: z.enum(['batch', 'batch_output'], 'purpose is "batch" or "batch_output"').optional(),
  after: Cursor.optional(),
  limit: Limit(10_000).optional(),
  order: z.enum(['asc', 'desc'], 'order is "asc" or "desc"').optional(),
});

/** The one purpose an upload may have here: a batch's input. */
export function checkUploadPurpose(fields: Readonly<Record<string, string>>): void {
  const purpose = fields.purpose;
  if (purpose === 'batch') return;
  const message =
    purpose === undefined
      ? 'purpose is required: send the form field purpose=batch'
      : `purpose must be "batch" (Sluice keeps files for batches only), not ${JSON.stringify(purpose)}`;
  throw new ValidationError([{ field: 'purpose', message }]);
}

/**
 * Parses an OpenAI-shaped body or query, or throws a ValidationError whose first field names the
 * parameter (the SDK reports it as `param`): an unknown one is named by its key.
 */
export function parseOpenAi<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const fields: FieldError[] = result.error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ field: fieldName([...issue.path, key]), message: `unknown parameter ${key}: Sluice does not support it` }))
      : [{ field: fieldName(issue.path) || 'body', message: issue.message }],
  );
  throw new ValidationError(fields);
}
