import { z } from 'zod';
import { UNSTORABLE_MESSAGE, isStorableText } from '../errors/storable-text';
import { GenerationFields } from '../generation/generation-fields';

/** Items one POST may carry; larger work goes through a file. */
export const MAX_ITEMS_PER_REQUEST = 50_000;

/** Minutes; absent or null runs the item at once. */
const Sla = z.int('sla must be a whole number of minutes').positive('sla must be at least 1 minute').max(525_600, 'sla is at most one year (525600 minutes)').nullish();

/**
 * One item of POST /v0/infer/ as the seed writes it, plus what the real-time and OpenAI APIs
 * also take: a bound on output tokens and the generation parameters, passed on to the provider.
 */
export const InferItemSchema = z.strictObject({
  sla: Sla,
  max_output_tokens: z.int('max_output_tokens must be a whole number').positive('max_output_tokens must be at least 1').nullish(),
  ...GenerationFields,
  model: z.string('model is required').trim().min(1, 'model is required').refine(isStorableText, `model ${UNSTORABLE_MESSAGE}`),
  input: z.string('input is required: the text to run').min(1, 'input is required: the text to run').refine(isStorableText, `input ${UNSTORABLE_MESSAGE}`),
});
export type InferItem = z.infer<typeof InferItemSchema>;

export const InferRequestSchema = z
  .array(InferItemSchema, 'the body must be a JSON array of items {sla?, model, input, max_output_tokens?, temperature?, …}')
  .min(1, 'the body must hold at least one item')
  .max(MAX_ITEMS_PER_REQUEST, `at most ${MAX_ITEMS_PER_REQUEST} items per request; upload a file for more`);

/** The seed's file form: `[{file_id, sla}]`, one uploaded file whose lines are the items. */
export const FileInferRequestSchema = z
  .array(z.strictObject({ file_id: z.string('file_id is required').min(1, 'file_id is required').refine(isStorableText, `file_id ${UNSTORABLE_MESSAGE}`), sla: Sla }), 'the body must be a JSON array')
  .length(1, 'a request names one file: [{"file_id", "sla"}]; send another request for another file');
export type FileInferItem = z.infer<typeof FileInferRequestSchema>[number];

/** True when the body is the file form (an item carries `file_id`); its schema then names what is wrong. */
export const isFileRequest = (body: unknown): boolean =>
  Array.isArray(body) && body.some((item) => typeof item === 'object' && item !== null && 'file_id' in item);

/** The `Output-Format` header: `jsonl` asks for the results as a file (`output_url`); default `json`. */
export const OutputFormatSchema = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['json', 'jsonl'], 'Output-Format is json (default) or jsonl'))
  .optional()
  .transform((v) => v ?? 'json');
export type OutputFormat = 'json' | 'jsonl';

/** POST /v0/infer/'s query: `callback_url`, where the task's webhooks go (checked further by checkCallbackUrl). */
export const SubmitQuerySchema = z.object({
  callback_url: z.string('callback_url must be a URL').max(512, 'callback_url is at most 512 characters').refine(isStorableText, `callback_url ${UNSTORABLE_MESSAGE}`).optional(),
});
