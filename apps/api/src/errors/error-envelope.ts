import { z } from 'zod';

/** The `type` field of the error envelope: the kind of problem, coarser than `code`. */
export const ApiErrorTypeSchema = z.enum(['authentication_error', 'not_found_error', 'invalid_request_error', 'insufficient_funds_error', 'rate_limit_error', 'provider_error', 'api_error']);

const FieldErrors = z
  .array(z.object({ field: z.string().describe('where the problem is, e.g. `items[2].model`'), message: z.string() }))
  .describe('every bad field (validation errors)');

/** `{"error": {type, message, code}}`: every error of Sluice's own routes (API-CONVENTIONS.md). */
export const ErrorEnvelopeSchema = z.object({
  error: z.object({
    type: ApiErrorTypeSchema,
    message: z.string().describe('for people'),
    code: z.string().describe('stable, for programs (see the README table)'),
    fields: FieldErrors.optional(),
  }),
});
export type ErrorEnvelope = z.infer<typeof ErrorEnvelopeSchema>;

/** OpenAI's shape on the OpenAI-compatible routes, which its SDKs parse into typed errors (`fields` kept as an extension). */
export const OpenAiErrorEnvelopeSchema = z.object({
  error: z.object({
    message: z.string(),
    type: ApiErrorTypeSchema,
    param: z.string().nullable().describe('the first bad field, or null'),
    code: z.string(),
    fields: FieldErrors.optional(),
  }),
});
export type OpenAiErrorEnvelope = z.infer<typeof OpenAiErrorEnvelopeSchema>;
