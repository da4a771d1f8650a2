import { ApiError, GoogleGenAI, type Content, type GenerateContentConfig, type GenerateContentResponse, type InlinedRequest } from '@google/genai';
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
  type Prompt,
  type ProviderAdapterOptions,
  type ProviderEndpoint,
  type ProviderPort,
} from './provider-port';
import { providerFetch } from './provider-fetch';

/** generationConfig's names for the customer's parameters; what it lacks was refused before. */
export function geminiConfig(providerId: string, params: GenerationParams | undefined): GenerateContentConfig {
  if (!params) return {};
  const unsupported = unsupportedParams('gemini', params);
  if (unsupported.length > 0) throw new ProviderUnsupportedParamsError(providerId, 'gemini', unsupported);
  const format = params.responseFormat;
  const schema = format?.type === 'json_schema' ? (format.json_schema as { schema?: unknown } | undefined)?.schema : undefined;
  const wire: GenerateContentConfig = {
    temperature: params.temperature,
    topP: params.topP,
    stopSequences: params.stop,
    seed: params.seed,
    presencePenalty: params.presencePenalty,
    frequencyPenalty: params.frequencyPenalty,
    responseMimeType: format && format.type !== 'text' ? 'application/json' : undefined,
    responseJsonSchema: schema,
  };
  return Object.fromEntries(Object.entries(wire).filter(([, v]) => v !== undefined)) as GenerateContentConfig;
}

function contentsOf(prompt: Prompt): { contents: Content[]; systemInstruction?: string } {
  const { system, turns } = splitInstructions(prompt);
  const contents = turns.map((t) => ({ role: t.role === 'assistant' ? 'model' : 'user', parts: [{ text: t.content }] }));
  return system !== null ? { contents, systemInstruction: system } : { contents };
}

function requestOf(providerId: string, item: Pick<BatchItem, 'providerModel' | 'input' | 'maxOutputTokens' | 'params'>) {
  const { contents, systemInstruction } = contentsOf(item.input);
  const config: GenerateContentConfig = {
    ...(systemInstruction !== undefined ? { systemInstruction } : {}),
    maxOutputTokens: item.maxOutputTokens,
    ...geminiConfig(providerId, item.params),
  };
  return { model: item.providerModel, contents, config };
}

/** The same request as the REST API spells it, for a Batch Mode input file (which the SDK does not translate). */
function restRequestOf(providerId: string, item: BatchItem) {
  const { contents, systemInstruction } = contentsOf(item.input);
  return {
    contents,
    ...(systemInstruction !== undefined ? { systemInstruction: { parts: [{ text: systemInstruction }] } } : {}),
    // generationConfig's REST names are the SDK config's for every parameter Sluice sends.
    generationConfig: { maxOutputTokens: item.maxOutputTokens, ...geminiConfig(providerId, item.params) },
  };
}

/** Gemini's finish reasons in the chat-completions words the rest of Sluice uses. */
function finishReasonOf(reason: string | undefined): string {
  if (reason === 'MAX_TOKENS') return 'length';
  return reason === undefined || reason === 'STOP' || reason === 'FINISH_REASON_UNSPECIFIED' ? 'stop' : 'content_filter';
}

/** The answer's text, without thought parts. */
function textOf(response: GenerateContentResponse): string {
  return (response.candidates?.[0]?.content?.parts ?? []).flatMap((part) => (part.text !== undefined && !part.thought ? [part.text] : [])).join('');
}

/** Input as prompt (+ tool-use prompt) tokens; output as candidates plus thinking tokens, both billed as output. */
function usageOf(response: GenerateContentResponse): { inputTokens: number; outputTokens: number } | null {
  const usage = response.usageMetadata;
  if (!usage || usage.promptTokenCount === undefined) return null;
  return {
    inputTokens: usage.promptTokenCount + (usage.toolUsePromptTokenCount ?? 0),
    outputTokens: (usage.candidatesTokenCount ?? 0) + (usage.thoughtsTokenCount ?? 0),
  };
}

interface GoogleErrorBody {
  error?: { code?: number; message?: string; status?: string; details?: { '@type'?: string; retryDelay?: string; reason?: string }[] };
}

/** The SDK puts the whole error body, as JSON, in the message: take the provider's own words and wait back out. */
function parsedError(err: ApiError): { status: number; message: string; providerCode: string | null; retryAfterMs: number | null } {
  const raw = err.message.startsWith('got status: ') ? err.message.slice(err.message.indexOf('{')) : err.message;
  try {
    const body = JSON.parse(raw) as GoogleErrorBody;
    const retryDelay = body.error?.details?.find((d) => d['@type']?.endsWith('google.rpc.RetryInfo'))?.retryDelay;
    const seconds = retryDelay ? Number.parseFloat(retryDelay) : Number.NaN;
    // Gemini answers a wrong key with a 400 whose ErrorInfo names it: an auth failure all the same.
    const badKey = body.error?.details?.some((d) => d['@type']?.endsWith('google.rpc.ErrorInfo') && d.reason === 'API_KEY_INVALID');
    return {
      status: badKey ? 401 : err.status,
      message: body.error?.message ?? raw,
      providerCode: body.error?.status ?? null,
      retryAfterMs: Number.isFinite(seconds) ? Math.round(seconds * 1000) : null,
    };
  } catch {
    return { status: err.status, message: raw, providerCode: null, retryAfterMs: null };
  }
}

/** A batch line's error is a google.rpc.Status: its gRPC code as the HTTP status the live API answers with. */
const httpStatusOfRpcCode: Readonly<Record<number, number>> = { 3: 400, 4: 504, 5: 404, 7: 403, 8: 429, 9: 400, 11: 400, 13: 500, 14: 503, 16: 401 };

/** One item's outcome, from an inline response or a line of a results file. */
interface ResultLine {
  readonly key?: string;
  readonly response?: GenerateContentResponse;
  readonly error?: { readonly code?: number; readonly message?: string };
}

const finishedStates: ReadonlySet<string> = new Set(['JOB_STATE_SUCCEEDED', 'JOB_STATE_FAILED', 'JOB_STATE_CANCELLED', 'JOB_STATE_EXPIRED']);

/**
 * Calls the Gemini API (generateContent, streamGenerateContent, Batch Mode with inline
 * requests) through the official `@google/genai` SDK, without its retries (none configured),
 * every failure a classified ProviderError.
 */
export interface GeminiAdapterOptions extends ProviderAdapterOptions {
  /** A batch whose inline requests would be larger goes as an uploaded JSONL file (Gemini takes 20 MB inline). */
  readonly inlineBatchLimitBytes?: number;
}

const INLINE_BATCH_LIMIT_BYTES = 16 * 1024 * 1024;

export class GeminiAdapter implements ProviderPort {
  private readonly clients = new Map<string, GoogleGenAI>();

  constructor(private readonly options: GeminiAdapterOptions) {}

  private client(provider: ProviderEndpoint): GoogleGenAI {
    const key = `${provider.baseUrl}\n${provider.apiKey}`;
    let client = this.clients.get(key);
    if (!client) {
      client = new GoogleGenAI({
        // The Gemini API itself, whatever GOOGLE_GENAI_USE_VERTEXAI says.
        vertexai: false,
        apiKey: provider.apiKey,
        // The providers' bounded pool (the SDK's default reaches for the global dispatcher).
        httpOptions: { baseUrl: provider.baseUrl, timeout: this.options.timeoutMs, fetch: providerFetch },
      });
      this.clients.set(key, client);
    }
    return client;
  }

  classifyError(providerId: string, err: unknown): ProviderError {
    if (err instanceof ProviderError) return err;
    if (err instanceof ApiError) return classifyHttpFailure(providerId, parsedError(err));
    if (err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError')) return new ProviderTimeoutError(providerId, 'request timed out');
    // undici's fetch fails with a TypeError ("fetch failed", or "terminated" when the connection
    // drops mid-body) whose cause is the socket's error.
    if (err instanceof TypeError && (err.message === 'fetch failed' || err.message === 'terminated')) {
      return new ProviderUnreachableError(providerId, `connection failed: ${err.cause instanceof Error ? err.cause.message : err.message}`);
    }
    throw err;
  }

  private async call<T>(provider: ProviderEndpoint, run: (client: GoogleGenAI) => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await run(this.client(provider));
    } catch (err) {
      if (!(err instanceof ApiError) && !(err instanceof ProviderError) && performance.now() - started >= this.options.timeoutMs) {
        throw new ProviderTimeoutError(provider.id, `no answer within ${this.options.timeoutMs} ms`);
      }
      throw withoutKey(this.classifyError(provider.id, err), provider.apiKey);
    }
  }

  async complete(request: CompletionRequest): Promise<CompletionResult> {
    const body = requestOf(request.provider.id, request);
    const started = performance.now();
    const response = await this.call(request.provider, (client) => client.models.generateContent(body));
    return {
      text: textOf(response),
      ...(usageOf(response) ?? UNREPORTED_USAGE),
      latencyMs: Math.round(performance.now() - started),
      finishReason: finishReasonOf(response.candidates?.[0]?.finishReason),
    };
  }

  /** `alt=sse` chunks, each a partial GenerateContentResponse; the last one's usageMetadata is the total. */
  async stream(request: CompletionRequest, onText: (text: string) => void): Promise<CompletionResult> {
    const body = requestOf(request.provider.id, request);
    const started = performance.now();
    return this.call(request.provider, async (client) => {
      let text = '';
      let firstTokenMs: number | undefined;
      let finishReason: string | undefined;
      let usage: ReturnType<typeof usageOf> = null;
      for await (const chunk of await client.models.generateContentStream(body)) {
        const piece = textOf(chunk);
        if (piece) {
          firstTokenMs ??= Math.round(performance.now() - started);
          text += piece;
          onText(piece);
        }
        finishReason = chunk.candidates?.[0]?.finishReason ?? finishReason;
        usage = usageOf(chunk) ?? usage;
      }
      return {
        text,
        ...(usage ?? UNREPORTED_USAGE),
        latencyMs: Math.round(performance.now() - started),
        ...(firstTokenMs !== undefined ? { firstTokenMs } : {}),
        finishReason: finishReasonOf(finishReason),
      };
    });
  }

  /**
   * One Batch Mode job: inline requests, each tagged with its custom id in `metadata.key`, or,
   * past the inline limit, an uploaded JSONL file of `{key, request}` lines.
   */
  async submitBatch(provider: ProviderEndpoint, items: readonly BatchItem[]): Promise<string> {
    const models = new Set(items.map((i) => i.providerModel));
    if (models.size !== 1) throw new ProviderServerError(provider.id, `a Gemini batch runs one model, not ${models.size}`);
    const model = items[0].providerModel;
    const inline: InlinedRequest[] = items.map((item) => {
      const { contents, config } = requestOf(provider.id, item);
      return { contents, config, metadata: { key: item.customId } };
    });
    const fits = Buffer.byteLength(JSON.stringify(inline)) <= (this.options.inlineBatchLimitBytes ?? INLINE_BATCH_LIMIT_BYTES);
    const job = await this.call(provider, async (client) => {
      if (fits) return client.batches.create({ model, src: inline, config: { displayName: 'sluice' } });
      const jsonl = items.map((item) => JSON.stringify({ key: item.customId, request: restRequestOf(provider.id, item) })).join('\n');
      const file = await client.files.upload({ file: new Blob([`${jsonl}\n`], { type: 'application/jsonl' }), config: { mimeType: 'application/jsonl', displayName: 'sluice-batch' } });
      if (!file.name) throw new ProviderServerError(provider.id, 'file upload returned no file name');
      return client.batches.create({ model, src: file.name, config: { displayName: 'sluice' } });
    });
    if (!job.name) throw new ProviderServerError(provider.id, 'batch creation returned no job name');
    return job.name;
  }

  async pollBatch(provider: ProviderEndpoint, batchId: string): Promise<BatchProgress> {
    const job = await this.call(provider, (client) => client.batches.get({ name: batchId }));
    const responses = job.dest?.inlinedResponses ?? [];
    const failed = responses.filter((r) => r.error).length;
    return {
      batchId,
      status: job.state ?? 'JOB_STATE_UNSPECIFIED',
      finished: finishedStates.has(job.state ?? ''),
      requestCounts: { total: responses.length, completed: responses.length - failed, failed },
    };
  }

  async cancelBatch(provider: ProviderEndpoint, batchId: string): Promise<BatchProgress> {
    await this.call(provider, (client) => client.batches.cancel({ name: batchId }));
    return this.pollBatch(provider, batchId);
  }

  async fetchBatchResults(provider: ProviderEndpoint, batchId: string): Promise<BatchItemResult[]> {
    const job = await this.call(provider, (client) => client.batches.get({ name: batchId }));
    if (!finishedStates.has(job.state ?? '')) throw new ProviderServerError(provider.id, `batch ${batchId} is ${job.state}, not finished`);
    const fileName = job.dest?.fileName;
    const lines: ResultLine[] = fileName
      ? (await this.call(provider, () => this.download(provider, fileName)))
          .split('\n')
          .filter((line) => line.trim() !== '')
          .map((line) => JSON.parse(line) as ResultLine)
      : (job.dest?.inlinedResponses ?? []).map((r) => ({ key: r.metadata?.key, response: r.response, error: r.error }));
    return lines.flatMap((line): BatchItemResult[] => {
      const customId = line.key;
      if (customId === undefined) return [];
      if (line.error) {
        const status = httpStatusOfRpcCode[line.error.code ?? 13] ?? 500;
        const error = classifyHttpFailure(provider.id, { status, message: line.error.message ?? 'request failed', providerCode: null });
        return [{ customId, ok: false, error: withoutKey(error, provider.apiKey) }];
      }
      if (!line.response) return [{ customId, ok: false, error: new ProviderServerError(provider.id, 'result carried no response') }];
      return [{ customId, ok: true, text: textOf(line.response), ...(usageOf(line.response) ?? UNREPORTED_USAGE) }];
    });
  }

  /**
   * The job, with its results. An uploaded input file is not named in the job as the SDK reads
   * it back; the Files API deletes it by itself 48 hours after the upload.
   */
  async deleteBatch(provider: ProviderEndpoint, batchId: string): Promise<void> {
    await this.call(provider, (client) => client.batches.delete({ name: batchId })).catch(unlessGone);
  }

  /** A results file's bytes, as the SDK's own download reads them (which only writes to a path). */
  private async download(provider: ProviderEndpoint, fileName: string): Promise<string> {
    const response = await fetch(`${provider.baseUrl}/download/v1beta/${fileName}:download?alt=media`, {
      headers: { 'x-goog-api-key': provider.apiKey },
      signal: AbortSignal.timeout(this.options.timeoutMs),
    });
    const body = await response.text();
    if (!response.ok) throw new ApiError({ message: body, status: response.status });
    return body;
  }
}
