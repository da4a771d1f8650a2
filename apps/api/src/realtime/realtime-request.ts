import { z } from 'zod';
import { GenerationFields } from '../generation/generation-fields';
import { MAX_JSON_DEPTH, MAX_PRICE_MESSAGE, MAX_PRICE_USD, METADATA_TOO_LARGE_MESSAGE, UNSTORABLE_MESSAGE, isStorableJson, isStorableText, metadataFits } from '../errors/storable-text';

/** Text PostgreSQL can store: refused at the edge, never accepted and then stranded. */
const text = (field: string, schema: z.ZodString) => schema.refine(isStorableText, `${field} ${UNSTORABLE_MESSAGE}`);

/** POST /v1/inference as the real-time seed writes it; unknown fields are refused so typos surface. */
export const RealtimeRequestSchema = z
  .strictObject({
    model: text('model', z.string('model is required').trim().min(1, 'model is required')),
    input: text('input', z.string('input must be a string')).optional(),
    /** Legacy name of `input`; see `promptOf`. */
    prompt: text('prompt', z.string('prompt must be a string')).optional(),
    ...GenerationFields,
    max_output_tokens: z.int('max_output_tokens must be a whole number').positive('max_output_tokens must be at least 1').max(128_000, 'max_output_tokens is at most 128000'),
    performance_profile: z.enum(['economy', 'balanced', 'fast'], 'performance_profile is one of economy, balanced, fast').default('balanced'),
    routing_strategy: z.enum(['lowest_cost', 'prefer_live'], 'routing_strategy is one of lowest_cost, prefer_live').default('lowest_cost'),
    customer_ref: text('customer_ref', z.string('customer_ref must be a string').max(256, 'customer_ref is at most 256 characters')).optional(),
    max_price_usd: z.number('max_price_usd must be a number').positive('max_price_usd must be above 0').max(MAX_PRICE_USD, MAX_PRICE_MESSAGE).optional(),
    max_latency_ms: z.int('max_latency_ms must be a whole number of milliseconds').positive('max_latency_ms must be at least 1').optional(),
    metadata: z
      .record(z.string(), z.unknown(), 'metadata must be a JSON object')
      .refine(isStorableJson, `metadata ${UNSTORABLE_MESSAGE}, or nests deeper than ${MAX_JSON_DEPTH} levels`)
      .refine(metadataFits, METADATA_TOO_LARGE_MESSAGE)
      .optional(),
  })
  // `when`: runs even when other fields are bad, so one answer names every problem.
  .refine((body) => promptOf(body) !== '', {
    path: ['input'],
    message: 'input is required: the text to run (or the legacy prompt)',
    when: (payload) => typeof payload.value === 'object' && payload.value !== null,
  });
export type RealtimeRequest = z.infer<typeof RealtimeRequestSchema>;

/**
 * The one canonical prompt: `input`, or the legacy `prompt` when input is empty; a client
 * sending both different texts gets both, input first, so no text it sent is dropped.
 */
export function promptOf(body: { input?: unknown; prompt?: unknown }): string {
  const input = typeof body.input === 'string' ? body.input : '';
  const prompt = typeof body.prompt === 'string' ? body.prompt : '';
  if (input.trim() === '') return prompt.trim() === '' ? '' : prompt;
  if (prompt.trim() === '' || prompt === input) return input;
  return `${input}\n\n${prompt}`;
}
