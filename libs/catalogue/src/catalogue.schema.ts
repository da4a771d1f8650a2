import { z } from 'zod';

/** Money is integer micro-dollars; prices are micro-dollars per million tokens. */
const micros = z.int().nonnegative();
const positiveInt = z.int().positive();
const utcTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a UTC time "HH:MM"');

export const tokenPriceSchema = z.strictObject({
  inputMicrosPerMillion: micros,
  outputMicrosPerMillion: micros,
});

export const tokenizerEncodingSchema = z.enum(['o200k_base', 'cl100k_base']);

export const modelSpecSchema = z
  .strictObject({
    id: z.string().min(1),
    description: z.string().optional(),
    aliases: z.array(z.string().min(1)).default([]),
    contextTokens: positiveInt,
    maxOutputTokens: positiveInt,
    tokenizer: tokenizerEncodingSchema,
    basePrice: tokenPriceSchema,
  })
  .refine((m) => m.maxOutputTokens <= m.contextTokens, {
    message: 'maxOutputTokens cannot exceed contextTokens',
    path: ['maxOutputTokens'],
  });

/**
 * One window of a time-of-day price curve. Windows may wrap midnight (16:30 → 00:30, like
 * DeepSeek's off-peak hours); the first window containing the instant wins, outside every
 * window the list price applies.
 */
export const priceWindowSchema = z
  .strictObject({
    label: z.string().min(1),
    fromUtc: utcTime,
    toUtc: utcTime,
    multiplierPercent: z.int().min(1).max(1000),
  })
  .refine((w) => w.fromUtc !== w.toUtc, { message: 'an empty window (fromUtc equals toUtc)', path: ['toUtc'] });

export const providerModelOfferSchema = z.strictObject({
  model: z.string().min(1),
  providerModel: z.string().min(1),
  price: tokenPriceSchema,
  /** Overrides the provider's schedule for this model (DeepSeek discounted R1 more than V3). */
  priceSchedule: z.array(priceWindowSchema).optional(),
});

export const latencyModelSchema = z.strictObject({
  ttftMs: z.int().nonnegative(),
  perOutputTokenMs: z.number().nonnegative(),
  jitterPercent: z.int().min(0).max(100).default(0),
});

export const batchApiSchema = z.strictObject({
  discountPercent: z.int().min(0).max(100),
  turnaroundSeconds: positiveInt,
  completionWindow: z.literal('24h').default('24h'),
});

/**
 * The wire API a provider speaks: `openai` (chat completions and the Batch API, any
 * OpenAI-compatible server), `anthropic` (Messages and Message Batches) or `gemini`
 * (generateContent and Batch Mode).
 */
export const providerApiSchema = z.enum(['openai', 'anthropic', 'gemini']);

export const providerSpecSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'expected a lowercase slug'),
  name: z.string().min(1),
  description: z.string().optional(),
  /** Default `openai`. */
  api: providerApiSchema.optional(),
  /**
   * Where its API is: for `openai` the base URL ending in /v1 (https://api.openai.com/v1), for
   * `anthropic` and `gemini` the origin (https://api.anthropic.com,
   * https://generativelanguage.googleapis.com); or `demo://<name>` for the demo market.
   */
  baseUrl: z.string().regex(/^(https?|demo):\/\/\S+$/, 'expected an http(s):// or demo:// URL'),
  apiKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an environment variable name'),
  models: z.array(providerModelOfferSchema).min(1),
  latency: latencyModelSchema,
  /** Requests and tokens per minute, and (optional) calls open at once; the router keeps each provider under them. */
  rateLimits: z.strictObject({ rpm: positiveInt, tpm: positiveInt, maxConcurrent: positiveInt.optional() }),
  /** Share of calls that succeed, as observed; routing uses it, the demo market can enact it. */
  reliability: z.number().min(0).max(1),
  priceSchedule: z.array(priceWindowSchema).optional(),
  batch: batchApiSchema.optional(),
});

export const catalogueSchema = z
  .strictObject({
    $schema: z.string().optional(),
    description: z.string().optional(),
    models: z.array(modelSpecSchema).min(1),
    providers: z.array(providerSpecSchema).min(1),
  })
  .superRefine((catalogue, ctx) => {
    const names = new Map<string, string>();
    catalogue.models.forEach((model, i) => {
      [model.id, ...model.aliases].forEach((name, j) => {
        const key = name.toLowerCase();
        const path = j === 0 ? ['models', i, 'id'] : ['models', i, 'aliases', j - 1];
        const owner = names.get(key);
        if (owner !== undefined && owner !== model.id) {
          ctx.addIssue({ code: 'custom', path, message: `"${name}" already names model "${owner}"` });
        }
        names.set(key, model.id);
      });
    });
    const modelIds = new Set(catalogue.models.map((m) => m.id));
    const providerIds = new Set<string>();
    catalogue.providers.forEach((provider, i) => {
      if (providerIds.has(provider.id)) {
        ctx.addIssue({ code: 'custom', path: ['providers', i, 'id'], message: `duplicate provider id "${provider.id}"` });
      }
      providerIds.add(provider.id);
      // The Anthropic and Gemini SDKs add their version path themselves (/v1/messages, /v1beta/models/…).
      if (provider.api && provider.api !== 'openai' && /\/v1(beta)?\/?$/.test(provider.baseUrl)) {
        ctx.addIssue({ code: 'custom', path: ['providers', i, 'baseUrl'], message: `an ${provider.api} base URL is the origin, without /v1 (e.g. https://api.anthropic.com)` });
      }
      const served = new Set<string>();
      provider.models.forEach((offer, j) => {
        const path = ['providers', i, 'models', j, 'model'];
        if (!modelIds.has(offer.model)) {
          ctx.addIssue({ code: 'custom', path, message: `unknown model "${offer.model}" (use a model id from "models")` });
        }
        if (served.has(offer.model)) {
          ctx.addIssue({ code: 'custom', path, message: `model "${offer.model}" listed twice` });
        }
        served.add(offer.model);
      });
    });
  });

export type TokenPrice = z.infer<typeof tokenPriceSchema>;
export type TokenizerEncoding = z.infer<typeof tokenizerEncodingSchema>;
export type ModelSpec = z.infer<typeof modelSpecSchema>;
export type PriceWindow = z.infer<typeof priceWindowSchema>;
export type ProviderModelOffer = z.infer<typeof providerModelOfferSchema>;
export type LatencyModel = z.infer<typeof latencyModelSchema>;
export type BatchApi = z.infer<typeof batchApiSchema>;
export type ProviderSpec = z.infer<typeof providerSpecSchema>;
export type ProviderApiName = z.infer<typeof providerApiSchema>;
export type Catalogue = z.infer<typeof catalogueSchema>;
