import Anthropic, { APIConnectionError, APIConnectionTimeoutError, APIError } from '@anthropic-ai/sdk';
import type { GenerationParams } from '@sluice/events';
import {
  ProviderError,
  ProviderServerError,
  ProviderTimeoutError,
  ProviderUnreachableError,
  ProviderUnsupportedParamsError,
  classifyHttpFailure,
  unlessGone,
  withoutKey,
} from './provider-errors';
import {
  UNREPORTED_USAGE,
  splitInstructions,
  unsupportedParams,
  type BatchItem,
  type BatchItemResult,
  type BatchProgress,
  type CompletionRequest,
  type CompletionResult,
  type ProviderAdapterOptions,
  type ProviderEndpoint,
  type ProviderPort,
} from './provider-port';
import { providerFetch } from './provider-fetch';

/**
 * SDK 1.x dropped `temperature` and `top_p` from its types: models after Claude Opus 4.6
 * refuse values other than the defaults with a 400 naming them, older ones still honour them.
 * They are sent as given, so the model decides, and a refusal comes back in Anthropic's words.
 */
type MessageParams = Anthropic.MessageCreateParamsNonStreaming & { temperature?: number; top_p?: number };

/** The Messages API's names for the customer's parameters; what it lacks was refused before. */
export function anthropicParams(providerId: string, params: GenerationParams | undefined): Partial<MessageParams> {
  if (!params) return {};
  const unsupported = unsupportedParams('anthropic', params);
  if (unsupported.length > 0) throw new ProviderUnsupportedParamsError(providerId, 'anthropic', unsupported);
  const schema = params.responseFormat?.type === 'json_schema' ? (params.responseFormat.json_schema as { schema?: Record<string, unknown> } | undefined)?.schema : undefined;
  const wire: Partial<MessageParams> = {
    temperature: params.temperature,
    top_p: params.topP,
    stop_sequences: params.stop,
    metadata: params.user !== undefined ? { user_id: params.user } : undefined,
    output_config: schema ? { format: { type: 'json_schema', schema } } : undefined,
  };
  return Object.fromEntries(Object.entries(wire).filter(([, v]) => v !== undefined)) as Partial<MessageParams>;
}

function messageParams(providerId: string, item: Pick<BatchItem, 'providerModel' | 'input' | 'maxOutputTokens' | 'params'>): MessageParams {
  const { system, turns } = splitInstructions(item.input);
  return {
    model: item.providerModel,
    max_tokens: item.maxOutputTokens,
    ...(system !== null ? { system } : {}),
    messages: turns,
    ...anthropicParams(providerId, item.params),
  };
}

/** Anthropic's stop reasons in the chat-completions words the rest of Sluice uses. */
function finishReasonOf(stopReason: string | null | undefined): string {
  if (stopReason === 'max_tokens') return 'length';
  return stopReason === 'refusal' ? 'content_filter' : 'stop';
}

interface AnthropicUsage {
  readonly input_tokens?: number | null;
  readonly output_tokens?: number | null;
  readonly cache_creation_input_tokens?: number | null;
  readonly cache_read_input_tokens?: number | null;
}

/** Every input token the provider bills: fresh, written to and read from its cache. */
function inputTokensOf(usage: AnthropicUsage): number {
  return (usage.input_tokens ?? 0) + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0);
}

/** An error object's `type` as the HTTP status Anthropic answers it with (batch results carry no status). */
const statusOfErrorType: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/**
 * Batch custom ids may hold only `[a-zA-Z0-9_-]`: any other character is written `_` and its
 * two hex digits, `_` itself `__`, so the caller's id comes back unchanged.
 */
export function toAnthropicCustomId(id: string): string {
  return id.replace(/[^a-zA-Z0-9-]/g, (c) => (c === '_' ? '__' : `_${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

export function fromAnthropicCustomId(id: string): string {
  return id.replace(/_(_|[0-9a-f]{2})/g, (_, code: string) => (code === '_' ? '_' : String.fromCharCode(parseInt(code, 16))));
}

/**
 * Calls Anthropic's Messages API (live, streamed, Message Batches) through the official SDK,
 * with no retries of its own (maxRetries 0), every failure a classified ProviderError.
 */
export class AnthropicAdapter implements ProviderPort {
  private readonly clients = new Map<string, Anthropic>();

  constructor(private readonly options: ProviderAdapterOptions) {}

  private client(provider: ProviderEndpoint): Anthropic {
    const key = `${provider.baseUrl}\n${provider.apiKey}`;
    let client = this.clients.get(key);
    if (!client) {
      client = new Anthropic({ baseURL: provider.baseUrl, apiKey: provider.apiKey, maxRetries: 0, timeout: this.options.timeoutMs, fetch: providerFetch });
      this.clients.set(key, client);
    }
    return client;
  }

  classifyError(providerId: string, err: unknown): ProviderError {
    if (err instanceof ProviderError) return err;
    if (err instanceof APIConnectionTimeoutError) return new ProviderTimeoutError(providerId, 'request timed out');
    if (err instanceof APIConnectionError) return new ProviderUnreachableError(providerId, `connection failed: ${err.cause instanceof Error ? err.cause.message : err.message}`);
    if (err instanceof APIError) {
      // A stream's `error` event comes without a status (the stream began with a 200): its type says what it was.
      const status = err.status !== undefined && err.status >= 400 ? err.status : (statusOfErrorType[err.type ?? ''] ?? 500);
      return classifyHttpFailure(providerId, { status, message: err.apiMessage ?? err.message, headers: err.headers, providerCode: err.type });
    }
    throw err;
  }

  private async call<T>(provider: ProviderEndpoint, run: (client: Anthropic) => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await run(this.client(provider));
    } catch (err) {
      // As with the openai SDK: an abort from another realm (jest) loses its name.
      if (err instanceof APIConnectionError && performance.now() - started >= this.options.timeoutMs) {
        throw new ProviderTimeoutError(provider.id, `no answer within ${this.options.timeoutMs} ms`);
      }
      throw withoutKey(this.classifyError(provider.id, err), provider.apiKey);
    }
  }

  async complete(request: CompletionRequest): Promise<CompletionResult> {
    const params = messageParams(request.provider.id, request);
    const started = performance.now();
    const message = await this.call(request.provider, (client) => client.messages.create(params));
    return {
      text: message.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join(''),
      ...(message.usage ? { inputTokens: inputTokensOf(message.usage), outputTokens: message.usage.output_tokens } : UNREPORTED_USAGE),
      latencyMs: Math.round(performance.now() - started),
      finishReason: finishReasonOf(message.stop_reason),
    };
  }

  /** Server-sent events: usage from message_start (input) and message_delta (output so far). */
  async stream(request: CompletionRequest, onText: (text: string) => void): Promise<CompletionResult> {
    const params = messageParams(request.provider.id, request);
    const started = performance.now();
    return this.call(request.provider, async (client) => {
      const events = await client.messages.create({ ...params, stream: true });
      let text = '';
      let firstTokenMs: number | undefined;
      let stopReason: string | null = null;
      let usage: AnthropicUsage | undefined;
      for await (const event of events) {
        if (event.type === 'message_start') usage = event.message.usage;
        else if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') {
          firstTokenMs ??= Math.round(performance.now() - started);
          text += event.delta.text;
          onText(event.delta.text);
        } else if (event.type === 'message_delta') {
          stopReason = event.delta.stop_reason ?? stopReason;
          // message_delta's counts are cumulative; absent input fields keep message_start's.
          const delta = Object.fromEntries(Object.entries(event.usage).filter(([, v]) => v !== null && v !== undefined));
          usage = { ...usage, ...delta };
        }
      }
      const reported = usage?.output_tokens === undefined || usage.output_tokens === null ? null : { inputTokens: inputTokensOf(usage), outputTokens: usage.output_tokens };
      return {
        text,
        ...(reported ?? UNREPORTED_USAGE),
        latencyMs: Math.round(performance.now() - started),
        ...(firstTokenMs !== undefined ? { firstTokenMs } : {}),
        finishReason: finishReasonOf(stopReason),
      };
    });
  }

  async submitBatch(provider: ProviderEndpoint, items: readonly BatchItem[]): Promise<string> {
    const requests = items.map((item) => ({ custom_id: toAnthropicCustomId(item.customId), params: messageParams(provider.id, item) }));
    const batch = await this.call(provider, (client) => client.messages.batches.create({ requests }));
    return batch.id;
  }

  private progress(batch: Anthropic.Messages.MessageBatch): BatchProgress {
    const counts = batch.request_counts;
    return {
      batchId: batch.id,
      status: batch.processing_status,
      finished: batch.processing_status === 'ended',
      requestCounts: {
        total: counts.processing + counts.succeeded + counts.errored + counts.canceled + counts.expired,
        completed: counts.succeeded,
        failed: counts.errored,
      },
    };
  }

  async pollBatch(provider: ProviderEndpoint, batchId: string): Promise<BatchProgress> {
    return this.progress(await this.call(provider, (client) => client.messages.batches.retrieve(batchId)));
  }

  async cancelBatch(provider: ProviderEndpoint, batchId: string): Promise<BatchProgress> {
    return this.progress(await this.call(provider, (client) => client.messages.batches.cancel(batchId)));
  }

  /** Canceled and expired requests are left out: the provider never ran them. */
  async fetchBatchResults(provider: ProviderEndpoint, batchId: string): Promise<BatchItemResult[]> {
    const progress = await this.pollBatch(provider, batchId);
    if (!progress.finished) throw new ProviderServerError(provider.id, `batch ${batchId} is ${progress.status}, not finished`);
    return this.call(provider, async (client) => {
      const results: BatchItemResult[] = [];
      for await (const line of await client.messages.batches.results(batchId)) {
        const customId = fromAnthropicCustomId(line.custom_id);
        const { result } = line;
        if (result.type === 'succeeded') {
          results.push({
            customId,
            ok: true,
            text: result.message.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join(''),
            inputTokens: inputTokensOf(result.message.usage),
            outputTokens: result.message.usage.output_tokens,
          });
        } else if (result.type === 'errored') {
          const { type, message } = result.error.error;
          const error = classifyHttpFailure(provider.id, { status: statusOfErrorType[type] ?? 500, message, providerCode: type });
          results.push({ customId, ok: false, error: withoutKey(error, provider.apiKey) });
        }
      }
      return results;
    });
  }

  async deleteBatch(provider: ProviderEndpoint, batchId: string): Promise<void> {
    await this.call(provider, (client) => client.messages.batches.delete(batchId)).catch(unlessGone);
  }
}
