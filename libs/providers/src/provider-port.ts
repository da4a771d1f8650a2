import type { GenerationParams } from '@sluice/events';
import type { ProviderError } from './provider-errors';

/** The wire dialects Sluice speaks; a catalogue provider names its own (default `openai`). */
export const PROVIDER_APIS = ['openai', 'anthropic', 'gemini'] as const;
export type ProviderApi = (typeof PROVIDER_APIS)[number];

/**
 * Where and as whom to call a provider. The base URL is what the family's SDK expects: an
 * OpenAI-compatible one ends in /v1; Anthropic's and Gemini's are the bare origin.
 */
export interface ProviderEndpoint {
  readonly id: string;
  readonly baseUrl: string;
  readonly apiKey: string;
}

/** One message of a conversation; `system` and `developer` are instructions. */
export interface PromptMessage {
  readonly role: 'system' | 'developer' | 'user' | 'assistant';
  readonly content: string;
}
/** Plain text is sent as one user message. */
export type Prompt = string | readonly PromptMessage[];

export interface CompletionRequest {
  readonly provider: ProviderEndpoint;
  readonly providerModel: string;
  readonly input: Prompt;
  readonly maxOutputTokens: number;
  readonly params?: GenerationParams;
}

export interface CompletionResult {
  readonly text: string;
  /** As the provider reported them (cached input and reasoning tokens included); 0 when `usageUnreported`. */
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** The provider reported no token usage: the caller counts the tokens itself and says so. */
  readonly usageUnreported?: true;
  /** Wall clock of the call as this process saw it (its own event loop included). */
  readonly latencyMs: number;
  /**
   * The provider's own processing time, when it reports it (OpenAI's `openai-processing-ms`
   * header): what latency estimates learn from, free of this process's queueing.
   */
  readonly processingMs?: number;
  readonly finishReason: string;
  /** A streamed call: when its first text arrived, ms after the call started. */
  readonly firstTokenMs?: number;
}

export interface BatchItem {
  readonly customId: string;
  readonly providerModel: string;
  readonly input: Prompt;
  readonly maxOutputTokens: number;
  readonly params?: GenerationParams;
}

/** The provider's own name for the job's state (OpenAI's, Anthropic's or Gemini's). */
export type BatchStatus = string;

export interface BatchProgress {
  readonly batchId: string;
  readonly status: BatchStatus;
  /** True once the status can no longer change. */
  readonly finished: boolean;
  readonly requestCounts: { readonly total: number; readonly completed: number; readonly failed: number };
}

/** What an adapter returns for usage a provider did not report (see CompletionResult.usageUnreported). */
export const UNREPORTED_USAGE = { inputTokens: 0, outputTokens: 0, usageUnreported: true } as const;

export type BatchItemResult =
  | { readonly customId: string; readonly ok: true; readonly text: string; readonly inputTokens: number; readonly outputTokens: number; readonly usageUnreported?: true }
  | { readonly customId: string; readonly ok: false; readonly error: ProviderError };

/**
 * One provider family behind one port: a live call, a streamed one, a batch job's life, and
 * every failure as a classified ProviderError. Adapters never retry: retrying, and choosing
 * where, is the caller's job.
 */
export interface ProviderPort {
  complete(request: CompletionRequest): Promise<CompletionResult>;
  /** `onText` gets each piece of output as it arrives; the result comes once the stream ends. */
  stream(request: CompletionRequest, onText: (text: string) => void): Promise<CompletionResult>;
  /** Starts a provider batch job with these items; returns its id. */
  submitBatch(provider: ProviderEndpoint, items: readonly BatchItem[]): Promise<string>;
  pollBatch(provider: ProviderEndpoint, batchId: string): Promise<BatchProgress>;
  cancelBatch(provider: ProviderEndpoint, batchId: string): Promise<BatchProgress>;
  /**
   * Results of a finished job, each failure classified as a live call's would be. Items the
   * provider never ran (expired, cancelled) are absent: the caller compares with what it sent.
   */
  fetchBatchResults(provider: ProviderEndpoint, batchId: string): Promise<BatchItemResult[]>;
  /**
   * Deletes what a finished job keeps at the provider once its results are recorded (OpenAI: its
   * input, output and error files; Anthropic: the batch and its results; Gemini: the job and its
   * results), as a client of the API does so that its storage does
   * not grow with every job. Something already gone is no failure.
   */
  deleteBatch(provider: ProviderEndpoint, batchId: string): Promise<void>;
  /** Whatever a call threw, as a ProviderError (rethrows what is no provider failure). */
  classifyError(providerId: string, err: unknown): ProviderError;
}

export interface ProviderAdapterOptions {
  /** Per HTTP request; a hung provider becomes a ProviderTimeoutError after this long. */
  readonly timeoutMs: number;
}

const unsupportedByApi: Readonly<Record<ProviderApi, (params: GenerationParams) => string[]>> = {
  openai: () => [],
  // The Messages API has no seed, no penalties and no JSON mode without a schema.
  anthropic: (p) => [
    ...(p.seed !== undefined ? ['seed'] : []),
    ...(p.presencePenalty !== undefined ? ['presence_penalty'] : []),
    ...(p.frequencyPenalty !== undefined ? ['frequency_penalty'] : []),
    ...(p.responseFormat?.type === 'json_object' ? ['response_format json_object'] : []),
  ],
  // generationConfig has presence/frequency penalties and seed; JSON via responseMimeType,
  // a schema via responseJsonSchema; nothing names an end user.
  gemini: (p) => [...(p.user !== undefined ? ['user'] : [])],
};

/**
 * The customer's parameters this API cannot honour, by the names the customer used (empty when
 * all can be sent). Checked before any call, so a request is refused by name, not half-sent.
 */
export function unsupportedParams(api: ProviderApi, params: GenerationParams | undefined): string[] {
  return params ? unsupportedByApi[api](params) : [];
}

/** The instructions (system and developer messages) and the conversation apart, as Anthropic and Gemini take them. */
export function splitInstructions(prompt: Prompt): { system: string | null; turns: { role: 'user' | 'assistant'; content: string }[] } {
  if (typeof prompt === 'string') return { system: null, turns: [{ role: 'user', content: prompt }] };
  const system = prompt.filter((m) => m.role === 'system' || m.role === 'developer').map((m) => m.content);
  const turns = prompt.filter((m) => m.role === 'user' || m.role === 'assistant').map((m) => ({ role: m.role as 'user' | 'assistant', content: m.content }));
  return { system: system.length > 0 ? system.join('\n\n') : null, turns };
}
