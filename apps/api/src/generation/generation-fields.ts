import { z } from 'zod';
import type { GenerationParams } from '@sluice/events';
import { UNSTORABLE_MESSAGE, isStorableText } from '../errors/storable-text';

const text = (field: string) => z.string(`${field} must be a string`).min(1, `${field} must not be empty`).refine(isStorableText, `${field} ${UNSTORABLE_MESSAGE}`);

/**
 * The generation parameters every API takes, under OpenAI's names (null reads as absent, as
 * SDKs send unset options). One home for their bounds: the chat completions body, the
 * real-time body and the SLA items spread it into their schemas.
 */
export const GenerationFields = {
  temperature: z.number('temperature must be a number').min(0, 'temperature is between 0 and 2').max(2, 'temperature is between 0 and 2').nullish(),
  top_p: z.number('top_p must be a number').min(0, 'top_p is between 0 and 1').max(1, 'top_p is between 0 and 1').nullish(),
  stop: z.union([text('stop'), z.array(text('stop')).min(1).max(4, 'stop takes at most 4 sequences')], 'stop is a string or up to 4 strings').nullish(),
  seed: z.int('seed must be a whole number').nullish(),
  presence_penalty: z.number('presence_penalty must be a number').min(-2, 'presence_penalty is between -2 and 2').max(2, 'presence_penalty is between -2 and 2').nullish(),
  frequency_penalty: z.number('frequency_penalty must be a number').min(-2, 'frequency_penalty is between -2 and 2').max(2, 'frequency_penalty is between -2 and 2').nullish(),
  response_format: z
    .union(
      [
        z.strictObject({ type: z.literal('text') }),
        z.strictObject({ type: z.literal('json_object') }),
        z.strictObject({
          type: z.literal('json_schema'),
          json_schema: z.strictObject({ name: z.string().min(1), description: z.string().optional(), schema: z.record(z.string(), z.unknown()).optional(), strict: z.boolean().nullish() }),
        }),
      ],
      'response_format is {"type": "text" | "json_object"} or {"type": "json_schema", "json_schema": {...}}',
    )
    .nullish(),
  /** The customer's end user, for the provider's abuse monitoring. */
  user: z.string('user must be a string').min(1, 'user must not be empty').max(256, 'user is at most 256 characters').refine(isStorableText, `user ${UNSTORABLE_MESSAGE}`).nullish(),
};

type Fields = { [K in keyof typeof GenerationFields]?: z.infer<(typeof GenerationFields)[K]> };

/** The parameters a body sent, as events carry them; undefined when it sent none. */
export function generationParamsOf(body: Fields): GenerationParams | undefined {
  const params: GenerationParams = {
    ...(body.temperature != null ? { temperature: body.temperature } : {}),
    ...(body.top_p != null ? { topP: body.top_p } : {}),
    ...(body.stop != null ? { stop: typeof body.stop === 'string' ? [body.stop] : body.stop } : {}),
    ...(body.seed != null ? { seed: body.seed } : {}),
    ...(body.presence_penalty != null ? { presencePenalty: body.presence_penalty } : {}),
    ...(body.frequency_penalty != null ? { frequencyPenalty: body.frequency_penalty } : {}),
    ...(body.response_format != null ? { responseFormat: body.response_format } : {}),
    ...(body.user != null ? { user: body.user } : {}),
  };
  return Object.keys(params).length > 0 ? params : undefined;
}
