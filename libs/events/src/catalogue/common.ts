import { z } from 'zod';

/** Integer micro-dollars: every amount inside Sluice; decimals exist only at the API edge. */
export const Micros = z.number().int().nonnegative();
export const Id = z.string().min(1);
export const ServiceName = z.enum(['api', 'scheduler', 'router', 'billing', 'files']);
export type ServiceName = z.infer<typeof ServiceName>;
/** Text travels inline up to a threshold, above it by reference to the blob store (claim check). */
export const TextOrRef = z.union([
  z.object({ text: z.string() }),
  z.object({ blobKey: z.string().min(1), bytes: z.number().int().nonnegative() }),
]);
/** One chat message of a request that came as a conversation (an OpenAI Batch line). */
export const ChatMessage = z.object({ role: z.enum(['system', 'developer', 'user', 'assistant']), content: z.string() });
export type ChatMessage = z.infer<typeof ChatMessage>;
/** What a provider is asked: plain text (sent as one user message), a conversation, or a claim check. */
export const WorkInput = z.union([TextOrRef, z.object({ messages: z.array(ChatMessage).min(1) })]);
export type WorkInput = z.infer<typeof WorkInput>;

/** What a provider is sent: the text, or the conversation; null for a claim check (not runnable inline). */
export function promptOf(input: WorkInput): string | ChatMessage[] | null {
  if ('text' in input) return input.text;
  if ('messages' in input) return input.messages;
  return null;
}

/** The prompt as one text (a conversation's contents joined by newlines); null for a claim check. */
export function promptTextOf(input: WorkInput): string | null {
  if ('text' in input) return input.text;
  if ('messages' in input) return input.messages.map((m) => m.content).join('\n');
  return null;
}
export const ExecutionMode = z.enum(['live', 'provider_batch']);

/** Integer micro-dollars per million tokens, input and output. */
export const TokenPrice = z.object({ inputMicrosPerMillion: Micros, outputMicrosPerMillion: Micros });
export type TokenPrice = z.infer<typeof TokenPrice>;

/**
 * How the customer pays for an object, fixed when it is submitted:
 * SLA items pay the model's base price times their quoted factor on actual tokens;
 * real-time requests pay the provider's cost plus a markup (basis points).
 */
export const Pricing = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('sla'), basePrice: TokenPrice, priceFactor: z.number().min(0.3).max(1) }),
  z.object({ kind: z.literal('realtime'), markupBps: z.number().int().nonnegative() }),
]);
export type Pricing = z.infer<typeof Pricing>;

/** Real-time routing preferences (the real-time API); absent for SLA items. */
export const Routing = z.object({
  profile: z.enum(['economy', 'balanced', 'fast']),
  strategy: z.enum(['lowest_cost', 'prefer_live']),
  maxPriceMicros: Micros.optional(),
  maxLatencyMs: z.number().int().positive().optional(),
});
export type Routing = z.infer<typeof Routing>;

/**
 * How the customer asked the model to generate, passed on to the provider as given (each
 * adapter maps the names to its wire format). Absent fields are the provider's defaults.
 */
export const GenerationParams = z.strictObject({
  temperature: z.number().min(0).max(2).optional(),
  topP: z.number().min(0).max(1).optional(),
  /** Up to four sequences that end the output. */
  stop: z.array(z.string().min(1)).min(1).max(4).optional(),
  seed: z.number().int().optional(),
  presencePenalty: z.number().min(-2).max(2).optional(),
  frequencyPenalty: z.number().min(-2).max(2).optional(),
  /** OpenAI's `response_format` object as sent (`text`, `json_object`, `json_schema`). */
  responseFormat: z.looseObject({ type: z.enum(['text', 'json_object', 'json_schema']) }).optional(),
  /** The end user the customer names, for the provider's abuse monitoring. */
  user: z.string().min(1).max(256).optional(),
});
export type GenerationParams = z.infer<typeof GenerationParams>;

/** What a provider needs to run one object. */
export const Work = z.object({
  model: z.string().min(1),
  input: WorkInput,
  maxOutputTokens: z.number().int().positive(),
  params: GenerationParams.optional(),
});
export type Work = z.infer<typeof Work>;
