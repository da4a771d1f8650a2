import { z } from 'zod';

/** Items one POST may carry; larger work goes through a file. */
export const MAX_ITEMS_PER_REQUEST = 50_000;

/** One item of POST /v0/infer/ as the seed writes it. */
export const InferItemSchema = z.strictObject({
  /** Minutes; absent or null runs the item at once. */
  sla: z.int('sla must be a whole number of minutes').positive('sla must be at least 1 minute').max(525_600, 'sla is at most one year (525600 minutes)').nullish(),
  model: z.string('model is required').trim().min(1, 'model is required'),
  input: z.string('input is required: the text to run').min(1, 'input is required: the text to run'),
});
export type InferItem = z.infer<typeof InferItemSchema>;

export const InferRequestSchema = z
  .array(InferItemSchema, 'the body must be a JSON array of items {sla?, model, input}')
  .min(1, 'the body must hold at least one item')
  .max(MAX_ITEMS_PER_REQUEST, `at most ${MAX_ITEMS_PER_REQUEST} items per request; upload a file for more`);
