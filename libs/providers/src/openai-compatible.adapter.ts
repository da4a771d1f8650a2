import type { GenerationParams } from '@sluice/events';
import OpenAI, { APIConnectionError, APIError, toFile } from 'openai';
import { ProviderError, ProviderServerError, ProviderTimeoutError, classifyProviderError, unlessGone, withoutKey } from './provider-errors';
import type {
  BatchItem,
  BatchItemResult,
  BatchProgress,
  CompletionRequest,
  CompletionResult,
  Prompt,
  ProviderAdapterOptions,
  ProviderEndpoint,
  ProviderPort,
} from './provider-port';
import { UNREPORTED_USAGE } from './provider-port';
import { providerFetch } from './provider-fetch';

function messagesOf(prompt: Prompt): OpenAI.Chat.ChatCompletionMessageParam[] {
  return typeof prompt === 'string' ? [{ role: 'user', content: prompt }] : prompt.map((m) => ({ role: m.role, content: m.content }));
}

/** The chat-completions names of the customer's generation parameters. */
export function wireParams(params: GenerationParams | undefined) {
  if (!params) return {};
  const wire = {
    temperature: params.temperature,
    top_p: params.topP,
    stop: params.stop,
    seed: params.seed,
    presence_penalty: params.presencePenalty,
    frequency_penalty: params.frequencyPenalty,
    response_format: params.responseFormat as OpenAI.Chat.ChatCompletionCreateParams['response_format'],
    user: params.user,
  };
  return Object.fromEntries(Object.entries(wire).filter(([, v]) => v !== undefined)) as Partial<typeof wire>;
}

export type OpenAiCompatibleAdapterOptions = ProviderAdapterOptions;

const finishedStatuses: ReadonlySet<string> = new Set(['completed', 'failed', 'expired', 'cancelled']);

interface BatchOutputLine {
  custom_id: string;
  response?: { status_code: number; body: unknown } | null;
  error?: { code?: string; message?: string } | null;
}

/**
 * Calls any OpenAI-compatible provider through the official SDK. The SDK never retries
 * (maxRetries 0): retrying, and choosing where, is the scheduler's job, so every failure
 * surfaces at once as a classified ProviderError.
 */
export class OpenAiCompatibleAdapter implements ProviderPort {
  private readonly clients = new Map<string, OpenAI>();

  constructor(private readonly options: OpenAiCompatibleAdapterOptions) {}

  private client(provider: ProviderEndpoint): OpenAI {
    const key = `${provider.baseUrl}\n${provider.apiKey}`;
    let client = this.clients.get(key);
    if (!client) {
      client = new OpenAI({ baseURL: provider.baseUrl, apiKey: provider.apiKey, maxRetries: 0, timeout: this.options.timeoutMs, fetch: providerFetch });
      this.clients.set(key, client);
    }
    return client;
  }

  private async call<T>(provider: ProviderEndpoint, run: (client: OpenAI) => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await run(this.client(provider));
    } catch (err) {
      // The SDK recognises its own timeout by the abort error's name, which is lost when the
      // abort comes from another realm (jest's sandbox); a connection error that arrives
      // once the whole timeout has elapsed is that timeout either way.
      const elapsed = performance.now() - started;
      if (err instanceof APIConnectionError && elapsed >= this.options.timeoutMs) {
        throw new ProviderTimeoutError(provider.id, `no answer within ${this.options.timeoutMs} ms`);
      }
      throw withoutKey(classifyProviderError(provider.id, err), provider.apiKey);
    }
  }

  classifyError(providerId: string, err: unknown): ProviderError {
    return classifyProviderError(providerId, err);
  }

  async complete(request: CompletionRequest): Promise<CompletionResult> {
    const started = performance.now();
    const { data: completion, response } = await this.call(request.provider, (client) =>
      client.chat.completions
        .create({
          model: request.providerModel,
          messages: messagesOf(request.input),
          max_tokens: request.maxOutputTokens,
          ...wireParams(request.params),
        })
        .withResponse(),
    );
    const latencyMs = Math.round(performance.now() - started);
    const processingMs = Number(response.headers.get('openai-processing-ms') ?? Number.NaN);
    const choice = completion.choices[0];
    return {
      text: choice?.message.content ?? '',
      ...(completion.usage ? { inputTokens: completion.usage.prompt_tokens, outputTokens: completion.usage.completion_tokens } : UNREPORTED_USAGE),
      latencyMs,
      ...(Number.isFinite(processingMs) && processingMs >= 0 ? { processingMs } : {}),
      finishReason: choice?.finish_reason ?? 'stop',
    };
  }

  /**
   * The same call streamed: `onText` gets each piece of output as the provider sends it; the
   * result (text, usage from the final chunk) comes once the stream ends. A failure before
   * the first piece is a classified ProviderError like `complete`'s; one after it too, but the
   * caller has already passed text on.
   */
  async stream(request: CompletionRequest, onText: (text: string) => void): Promise<CompletionResult> {
    const started = performance.now();
    return this.call(request.provider, async (client) => {
      // The whole stream's wall clock is the provider's time here (its header gives only the
      // time to the first byte), so no processingMs.
      const stream = await client.chat.completions
        .create({
          model: request.providerModel,
          messages: messagesOf(request.input),
          max_tokens: request.maxOutputTokens,
          ...wireParams(request.params),
          stream: true,
          stream_options: { include_usage: true },
        });
      let text = '';
      let firstTokenMs: number | undefined;
      let finishReason = 'stop';
      let usage: OpenAI.CompletionUsage | undefined;
      for await (const chunk of stream) {
        const choice = chunk.choices[0];
        const piece = choice?.delta?.content;
        if (piece) {
          firstTokenMs ??= Math.round(performance.now() - started);
          text += piece;
          onText(piece);
        }
        if (choice?.finish_reason) finishReason = choice.finish_reason;
        if (chunk.usage) usage = chunk.usage;
      }
      return {
        text,
        ...(usage ? { inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens } : UNREPORTED_USAGE),
        latencyMs: Math.round(performance.now() - started),
        ...(firstTokenMs !== undefined ? { firstTokenMs } : {}),
        finishReason,
      };
    });
  }

  /** Uploads the items as a batch JSONL file and starts a provider batch; returns its id. */
  async submitBatch(provider: ProviderEndpoint, items: readonly BatchItem[]): Promise<string> {
    const jsonl = items
      .map((item) =>
        JSON.stringify({
          custom_id: item.customId,
          method: 'POST',
          url: '/v1/chat/completions',
          body: { model: item.providerModel, messages: messagesOf(item.input), max_tokens: item.maxOutputTokens, ...wireParams(item.params) },
        }),
      )
      .join('\n');
    return this.call(provider, async (client) => {
      const file = await client.files.create({ file: await toFile(Buffer.from(`${jsonl}\n`), 'sluice-batch.jsonl'), purpose: 'batch' });
      const batch = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
      return batch.id;
    });
  }

  async pollBatch(provider: ProviderEndpoint, batchId: string): Promise<BatchProgress> {
    const batch = await this.call(provider, (client) => client.batches.retrieve(batchId));
    return {
      batchId: batch.id,
      status: batch.status,
      finished: finishedStatuses.has(batch.status),
      requestCounts: batch.request_counts ?? { total: 0, completed: 0, failed: 0 },
    };
  }

  async cancelBatch(provider: ProviderEndpoint, batchId: string): Promise<BatchProgress> {
    await this.call(provider, (client) => client.batches.cancel(batchId));
    return this.pollBatch(provider, batchId);
  }

  /**
   * Results of a finished batch, successes and failures alike, each failure classified as a
   * live call's would be. Items the provider never ran (expired, cancelled) are absent:
   * the caller compares with what it submitted.
   */
  async fetchBatchResults(provider: ProviderEndpoint, batchId: string): Promise<BatchItemResult[]> {
    const batch = await this.call(provider, (client) => client.batches.retrieve(batchId));
    if (!finishedStatuses.has(batch.status)) {
      throw new ProviderServerError(provider.id, `batch ${batchId} is ${batch.status}, not finished`);
    }
    const fileIds = [batch.output_file_id, batch.error_file_id].filter((id): id is string => Boolean(id));
    const contents = await Promise.all(fileIds.map((id) => this.call(provider, async (client) => (await client.files.content(id)).text())));
    return contents.flatMap((content) =>
      content
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => toItemResult(provider.id, JSON.parse(line) as BatchOutputLine)),
    );
  }

  /** The batch object itself stays (the API deletes none); its files go. */
  async deleteBatch(provider: ProviderEndpoint, batchId: string): Promise<void> {
    const batch = await this.call(provider, (client) => client.batches.retrieve(batchId));
    const fileIds = [batch.input_file_id, batch.output_file_id, batch.error_file_id].filter((id): id is string => Boolean(id));
    await Promise.all(fileIds.map((id) => this.call(provider, (client) => client.files.delete(id)).catch(unlessGone)));
  }
}

function toItemResult(providerId: string, line: BatchOutputLine): BatchItemResult {
  const customId = line.custom_id;
  const response = line.response;
  if (response && response.status_code === 200) {
    const body = response.body as OpenAI.Chat.Completions.ChatCompletion;
    return {
      customId,
      ok: true,
      text: body.choices[0]?.message.content ?? '',
      ...(body.usage ? { inputTokens: body.usage.prompt_tokens, outputTokens: body.usage.completion_tokens } : UNREPORTED_USAGE),
    };
  }
  if (response) {
    const errorBody = (response.body as { error?: Record<string, unknown> } | null)?.error;
    const apiError = APIError.generate(response.status_code, errorBody, undefined, new Headers());
    return { customId, ok: false, error: classifyProviderError(providerId, apiError) };
  }
  // No response at all: the provider never ran it (e.g. batch_expired); worth running again.
  return { customId, ok: false, error: new ProviderTimeoutError(providerId, line.error?.message ?? line.error?.code ?? 'request not run') };
}
