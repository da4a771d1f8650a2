import { countPromptTokens, countTokens, expectedLatencyMs, findProvider, providerApi, tokenCostMicros, type Catalogue } from '@sluice/catalogue';
import type { GenerationParams } from '@sluice/events';
import {
  ProviderAuthError,
  ProviderError,
  ProviderRejectedError,
  ProviderServerError,
  ProviderUnsupportedParamsError,
  unsupportedParams,
  type CompletionResult,
  type Prompt,
  type ProviderEndpoint,
  type ProviderPort,
} from '@sluice/providers';
import { inSpan, logger, providerCallSeconds, providerErrors, providerFailovers, safeErrorText, traceFields } from '@sluice/telemetry';
import type { ProviderHealthBook } from './provider-health';
import type { Quote } from './quote';

export interface LiveCallerDeps {
  readonly catalogue: Catalogue;
  readonly endpoints: Readonly<Record<string, { baseUrl: string; apiKey: string }>>;
  /**
   * Reaches every provider of the catalogue in its own API (ProviderAdapters); `stream` is
   * needed only by callers that stream.
   */
  readonly adapter: Pick<ProviderPort, 'complete'> & Partial<Pick<ProviderPort, 'stream'>>;
  readonly health: ProviderHealthBook;
  readonly now: () => Date;
  /** The operator's log (console.warn unless given): a provider refusing our key is named once. */
  readonly warn?: (message: string) => void;
}

/** What one live call is about: the model (canonical id), what is sent, and the trace it belongs to. */
export interface LiveCall {
  readonly model: string;
  readonly input: Prompt;
  readonly maxOutputTokens: number;
  readonly params?: GenerationParams;
  readonly traceparent?: string;
  readonly objectId: string;
}

/** Receives a streamed call's output as the provider sends it. */
export type TextSink = (text: string) => void;

export type CallOutcome =
  | { readonly ok: true; readonly quote: Quote; readonly result: CompletionResult }
  | { readonly ok: false; readonly quote: Quote; readonly error: ProviderError };

const log = logger('provider-call');

export function asProviderError(providerId: string, err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  return new ProviderServerError(providerId, `call failed: ${err instanceof Error ? err.message : String(err)}`);
}

/**
 * Calls providers through their adapter and remembers how they did (health and output length),
 * so that the next quotes count on what was seen. Shared by the router and the real-time gateway.
 */
export class LiveCaller {
  private readonly refusedKeys = new Set<string>();
  private readonly unreportedUsage = new Set<string>();

  constructor(private readonly deps: LiveCallerDeps) {}

  get health(): ProviderHealthBook {
    return this.deps.health;
  }

  reachable(providerId: string): boolean {
    return this.deps.endpoints[providerId] !== undefined;
  }

  private endpoint(providerId: string): ProviderEndpoint {
    const endpoint = this.deps.endpoints[providerId];
    return { id: providerId, baseUrl: endpoint.baseUrl, apiKey: endpoint.apiKey };
  }

  /** One provider call; with `onText`, streamed, the output passed on as it arrives. */
  async call(quote: Quote, call: LiveCall, onText?: TextSink): Promise<CallOutcome> {
    const provider = findProvider(this.deps.catalogue, quote.providerId);
    const api = providerApi(provider);
    // Refused by name before any call, and no mark against the provider's health.
    const unsupported = unsupportedParams(api, call.params);
    if (unsupported.length > 0) return { ok: false, quote, error: new ProviderUnsupportedParamsError(quote.providerId, api, unsupported) };
    const started = performance.now();
    try {
      const result = await inSpan(
        `provider ${quote.providerId} ${api}`,
        call.traceparent,
        { 'gen_ai.system': quote.providerId, 'gen_ai.request.model': quote.providerModel, 'gen_ai.request.max_tokens': call.maxOutputTokens, 'sluice.object.id': call.objectId },
        async (span) => {
          const request = {
            provider: this.endpoint(quote.providerId),
            providerModel: quote.providerModel,
            input: call.input,
            maxOutputTokens: call.maxOutputTokens,
            ...(call.params ? { params: call.params } : {}),
          };
          const { stream } = this.deps.adapter;
          if (onText && !stream) throw new Error('this caller was built without a streaming adapter');
          const answered = onText && stream ? await stream.call(this.deps.adapter, request, onText) : await this.deps.adapter.complete(request);
          const done = answered.usageUnreported ? this.countedUsage(answered, quote, call) : answered;
          span?.setAttributes({ 'gen_ai.usage.input_tokens': done.inputTokens, 'gen_ai.usage.output_tokens': done.outputTokens, ...(done.usageUnreported ? { 'sluice.usage.counted': true } : {}) });
          return done;
        },
      );
      this.deps.health.record(quote.providerId, {
        at: this.deps.now(),
        ok: true,
        // Provider time when the provider reports it: this process's own queueing is not the provider's.
        latencyMs: result.processingMs ?? result.latencyMs,
        expectedLatencyMs: expectedLatencyMs(provider, result.outputTokens),
      });
      this.deps.health.recordOutput(call.model, result.outputTokens);
      providerCallSeconds.observe({ provider: quote.providerId, model: quote.providerModel, outcome: 'ok' }, (performance.now() - started) / 1_000);
      return { ok: true, quote, result };
    } catch (err) {
      this.deps.health.record(quote.providerId, { at: this.deps.now(), ok: false });
      const error = asProviderError(quote.providerId, err);
      providerCallSeconds.observe({ provider: quote.providerId, model: quote.providerModel, outcome: 'error' }, (performance.now() - started) / 1_000);
      providerErrors.inc({ provider: quote.providerId, model: quote.providerModel, code: error.code });
      if (error instanceof ProviderAuthError && !this.refusedKeys.has(quote.providerId)) {
        this.refusedKeys.add(quote.providerId);
        (this.deps.warn ?? console.warn)(`provider ${quote.providerId} refused its API key (HTTP ${error.status}): check ${provider.apiKeyEnv}; it is tried again only after healthier providers`);
      }
      return { ok: false, quote, error };
    }
  }

  /**
   * A provider that reported no usage is billed on Sluice's own count of what was sent and
   * what came back (the model's tokenizer), and the operator is told, once per provider.
   */
  private countedUsage(result: CompletionResult, quote: Quote, call: LiveCall): CompletionResult {
    if (!this.unreportedUsage.has(quote.providerId)) {
      this.unreportedUsage.add(quote.providerId);
      log.warn({ provider: quote.providerId, providerModel: quote.providerModel, model: call.model }, "provider reported no token usage: billed on Sluice's own count");
    }
    return { ...result, ...countedUsage(this.deps.catalogue, call.model, call.input, result.text) };
  }

  /**
   * Tries the candidates in order until one answers. A request the provider refused as such
   * would be refused anywhere, so it ends the failover (parameters one provider's API lacks do
   * not: another family may take them); so does passing `until` (epoch ms,
   * real time): no further provider is tried after it. Streamed (`onText`), a provider that
   * failed after passing on text ends it too: the client already has that provider's words.
   */
  async failover(candidates: readonly Quote[], call: LiveCall, until = Number.POSITIVE_INFINITY, onText?: TextSink): Promise<FailoverOutcome> {
    const failures: Extract<CallOutcome, { ok: false }>[] = [];
    let passedOn = false;
    const sink: TextSink | undefined = onText
      ? (text) => {
          passedOn = true;
          onText(text);
        }
      : undefined;
    for (const [i, quote] of candidates.entries()) {
      const outcome = await this.call(quote, call, sink);
      if (outcome.ok) return { served: outcome, failures };
      failures.push(outcome);
      const last = outcome.error instanceof ProviderRejectedError || passedOn || Date.now() >= until || i === candidates.length - 1;
      this.logFailure(outcome, call, last ? undefined : candidates[i + 1]);
      if (last) break;
    }
    return { served: null, failures };
  }

  /** One line per failed call, naming the provider tried next when there is one (a failover). */
  private logFailure(failed: Extract<CallOutcome, { ok: false }>, call: LiveCall, next: Quote | undefined): void {
    const { quote, error } = failed;
    // Refused by name before any call: the request's choice, not the provider's failure.
    const refusedHere = error instanceof ProviderUnsupportedParamsError;
    if (next && !refusedHere) providerFailovers.inc({ provider: quote.providerId, model: quote.providerModel });
    const level = refusedHere ? 'debug' : 'info';
    if (!log.enabled(level)) return;
    const fields = {
      ...traceFields(call.traceparent),
      provider: quote.providerId,
      providerModel: quote.providerModel,
      model: call.model,
      objectId: call.objectId,
      code: error.code,
      error: safeErrorText(error.message, [this.deps.endpoints[quote.providerId]?.apiKey ?? '']),
      ...(next ? { failoverTo: next.providerId } : {}),
    };
    log[level](fields, next ? 'provider call failed, failing over' : 'provider call failed');
  }
}

export interface FailoverOutcome {
  readonly served: Extract<CallOutcome, { ok: true }> | null;
  /** In the order tried; the last one ended the failover when nothing was served. */
  readonly failures: readonly Extract<CallOutcome, { ok: false }>[];
}

/** Token counts by the model's tokenizer, for a provider that reported none (`usageUnreported` stays set). */
export function countedUsage(catalogue: Catalogue, model: string, input: Prompt, output: string) {
  return { inputTokens: countPromptTokens(catalogue, model, input), outputTokens: countTokens(catalogue, model, output), usageUnreported: true as const };
}

/**
 * A served live call as ObjectCompleted records it, for the router and the gateway alike: the
 * usage the provider reported, priced at the quote's price.
 */
export function completedCallFields(quote: Quote, result: CompletionResult) {
  return {
    providerId: quote.providerId,
    mode: 'live' as const,
    inputTokens: result.inputTokens,
    outputTokens: result.outputTokens,
    output: { text: result.text },
    providerCostMicros: tokenCostMicros(quote.price, result.inputTokens, result.outputTokens),
    latencyMs: result.latencyMs,
  };
}

/** "every acceptable provider failed: …" with each failure's message and code. */
export function allFailedMessage(failures: FailoverOutcome['failures']): string {
  return `every acceptable provider failed: ${failures.map((f) => `${f.error.message} (${f.error.code})`).join('; ')}`;
}
