import { AnthropicAdapter } from './anthropic.adapter';
import { GeminiAdapter } from './gemini.adapter';
import { OpenAiCompatibleAdapter } from './openai-compatible.adapter';
import type { ProviderError } from './provider-errors';
import type {
  BatchItem,
  BatchItemResult,
  BatchProgress,
  CompletionRequest,
  CompletionResult,
  ProviderAdapterOptions,
  ProviderApi,
  ProviderEndpoint,
  ProviderPort,
} from './provider-port';

export interface ProviderAdaptersOptions extends ProviderAdapterOptions {
  /** Which API a provider speaks (its catalogue entry's `api`). */
  readonly apiOf: (providerId: string) => ProviderApi;
}

/**
 * The port for a whole catalogue: each call goes to the adapter of the provider's family, so
 * a caller (the live call, the router's batch jobs) holds one port whatever a provider speaks.
 */
export class ProviderAdapters implements ProviderPort {
  private readonly adapters: Readonly<Record<ProviderApi, ProviderPort>>;

  constructor(
    private readonly options: ProviderAdaptersOptions,
    adapters: Partial<Record<ProviderApi, ProviderPort>> = {},
  ) {
    this.adapters = {
      openai: adapters.openai ?? new OpenAiCompatibleAdapter(options),
      anthropic: adapters.anthropic ?? new AnthropicAdapter(options),
      gemini: adapters.gemini ?? new GeminiAdapter(options),
    };
  }

  /** The adapter that speaks this provider's API. */
  of(providerId: string): ProviderPort {
    return this.adapters[this.options.apiOf(providerId)];
  }

  complete(request: CompletionRequest): Promise<CompletionResult> {
    return this.of(request.provider.id).complete(request);
  }

  stream(request: CompletionRequest, onText: (text: string) => void): Promise<CompletionResult> {
    return this.of(request.provider.id).stream(request, onText);
  }

  submitBatch(provider: ProviderEndpoint, items: readonly BatchItem[]): Promise<string> {
    return this.of(provider.id).submitBatch(provider, items);
  }

  pollBatch(provider: ProviderEndpoint, batchId: string): Promise<BatchProgress> {
    return this.of(provider.id).pollBatch(provider, batchId);
  }

  cancelBatch(provider: ProviderEndpoint, batchId: string): Promise<BatchProgress> {
    return this.of(provider.id).cancelBatch(provider, batchId);
  }

  fetchBatchResults(provider: ProviderEndpoint, batchId: string): Promise<BatchItemResult[]> {
    return this.of(provider.id).fetchBatchResults(provider, batchId);
  }

  deleteBatch(provider: ProviderEndpoint, batchId: string): Promise<void> {
    return this.of(provider.id).deleteBatch(provider, batchId);
  }

  classifyError(providerId: string, err: unknown): ProviderError {
    return this.of(providerId).classifyError(providerId, err);
  }
}
