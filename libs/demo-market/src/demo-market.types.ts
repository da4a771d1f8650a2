/**
 * The part of the provider catalogue the demo market needs. Declared here rather than
 * imported because infra libs may not depend on the (domain) catalogue lib; the
 * catalogue's `Catalogue` type satisfies it structurally.
 */
export type DemoTokenizer = 'o200k_base' | 'cl100k_base';

export interface DemoMarketCatalogue {
  readonly models: readonly {
    readonly id: string;
    readonly tokenizer: DemoTokenizer;
    readonly contextTokens: number;
    readonly maxOutputTokens: number;
  }[];
  readonly providers: readonly DemoProviderSpec[];
}

/** The wire API a demo provider speaks, as the catalogue's `api` names it (default `openai`). */
export type DemoProviderApi = 'openai' | 'anthropic' | 'gemini';

export interface DemoProviderSpec {
  readonly id: string;
  readonly api?: DemoProviderApi;
  readonly baseUrl: string;
  readonly models: readonly { readonly model: string; readonly providerModel: string }[];
  readonly latency: { readonly ttftMs: number; readonly perOutputTokenMs: number; readonly jitterPercent: number };
  readonly rateLimits: { readonly rpm: number };
  readonly reliability: number;
  readonly batch?: { readonly turnaroundSeconds: number };
}

/** Chances (0..1) that a chat completion fails this way; they are tried in this order. */
export interface FailureRates {
  readonly rate429: number;
  readonly rate5xx: number;
  readonly rateTimeout: number;
}

export interface DemoMarketOptions {
  /** Seeds generated text and failure draws: same seed, same calls → same answers. */
  readonly seed?: string;
  /** Multiplies every simulated latency; 0 answers at once (tests), 1 is the catalogue's figures. */
  readonly latencyScale?: number;
  /** Multiplies batch turnaround; defaults to latencyScale. */
  readonly turnaroundScale?: number;
  /**
   * Anthropic and Gemini batches still running this long after creation expire with nothing
   * run, as the real ones do after 24 h (the default); a test sets it below a turnaround.
   */
  readonly batchExpiresAfterMs?: number;
  /** Bearer key each provider accepts; defaults to `demoApiKey(providerId)`. */
  readonly apiKeys?: Readonly<Record<string, string>>;
  /** Start with failures drawn from each provider's catalogue reliability (5xx), for a lifelike demo. */
  readonly failuresFromReliability?: boolean;
  /** Answer 429 past the catalogue's requests-per-minute limit. */
  readonly enforceRateLimits?: boolean;
  /** The Retry-After a 429 carries. */
  readonly retryAfterMs?: number;
  readonly now?: () => number;
  /**
   * Sees every authenticated request as it arrived (in-thread markets only): tests check what was
   * sent; a promise returned holds the request until it settles (a slow provider).
   */
  readonly onRequest?: (request: ReceivedRequest) => unknown;
}

export interface ReceivedRequest {
  readonly providerId: string;
  readonly method: string;
  /** Path and query, e.g. `/v1beta/models/gemini-x:streamGenerateContent?alt=sse`. */
  readonly url: string;
  readonly body: unknown;
}

export interface ProviderCallStats {
  /** Every live call that passed auth (a chat completion, a message, a generateContent), whatever its outcome. */
  chatCompletions: number;
  succeeded: number;
  rateLimited: number;
  serverErrors: number;
  timedOut: number;
  unauthorized: number;
  filesUploaded: number;
  /** Files (OpenAI family) and batches (Anthropic, Gemini) a client deleted. */
  filesDeleted: number;
  batchesDeleted: number;
  batchesCreated: number;
  batchRequests: number;
}

export interface DemoMarket {
  /**
   * Each demo:// provider's base URL, by provider id, as its family's SDK takes it: …/v1 for
   * OpenAI-compatible ones, the bare origin for Anthropic and Gemini.
   */
  readonly providers: Readonly<Record<string, string>>;
  readonly apiKeys: Readonly<Record<string, string>>;
  setFailures(providerId: string, rates: Partial<FailureRates>): void;
  stats(): Record<string, ProviderCallStats>;
  resetStats(): void;
  /** A market on a worker thread: settles, with the reason, if the thread ended on its own. Never rejects. */
  readonly lost?: Promise<Error>;
  stop(): Promise<void>;
}

export const noFailures: FailureRates = { rate429: 0, rate5xx: 0, rateTimeout: 0 };

export function demoApiKey(providerId: string): string {
  return `sk-demo-${providerId}`;
}

export function emptyStats(): ProviderCallStats {
  return {
    chatCompletions: 0,
    succeeded: 0,
    rateLimited: 0,
    serverErrors: 0,
    timedOut: 0,
    unauthorized: 0,
    filesUploaded: 0,
    filesDeleted: 0,
    batchesDeleted: 0,
    batchesCreated: 0,
    batchRequests: 0,
  };
}
