import { countPromptTokens, expectedLatencyMs, findProvider, findModel, tokenCostMicros, type Catalogue } from '@sluice/catalogue';
import {
  ObjectCompleted,
  ObjectFailed,
  QuoteAccepted,
  QuoteRejected,
  causedBy,
  createEvent,
  promptOf,
  type EventFactoryDeps,
  type EventOf,
  type SluiceEvent,
} from '@sluice/events';
import { ProviderError, ProviderRejectedError, ProviderServerError, type OpenAiCompatibleAdapter, type Prompt, type ProviderEndpoint } from '@sluice/providers';
import { inSpan, traceparentOfEvent } from '@sluice/telemetry';
import type { ProviderHealthBook } from '../quotes/provider-health';
import { chooseRoute, quotesFor, type Quote, type QuoteRequest } from '../quotes/quote';

export type Dispatch = EventOf<'ObjectDispatched'>;

/** The events one dispatch produced, and the provider that ended it (for the handled row). */
export interface DispatchOutcome {
  readonly dispatch: Dispatch;
  readonly outcome: 'completed' | 'failed' | 'rejected';
  readonly providerId: string | null;
  readonly events: SluiceEvent[];
}

export interface DispatchExecutionDeps {
  readonly catalogue: Catalogue;
  readonly endpoints: Readonly<Record<string, { baseUrl: string; apiKey: string }>>;
  readonly adapter: Pick<OpenAiCompatibleAdapter, 'complete'>;
  readonly health: ProviderHealthBook;
  readonly events: EventFactoryDeps;
}

/** Deadlines closer than this leave no room for a retry round trip through the scheduler. */
const URGENT_WITHIN_MS = 10 * 60_000;

function asProviderError(providerId: string, err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  return new ProviderServerError(providerId, `call failed: ${err instanceof Error ? err.message : String(err)}`);
}

/**
 * Runs one ObjectDispatched live: quotes, chooses, calls the provider through the
 * OpenAI-compatible adapter, and returns the events to record. It touches no database: the
 * caller records the outcome after the call, so no transaction is open while a provider thinks.
 *
 * SLA objects get one provider per dispatch (a transient failure goes back to the scheduler,
 * which retries elsewhere or later). Real-time objects fail over to the next acceptable quote
 * within the caps; only the final outcome is emitted, so billing and the scheduler see one
 * QuoteAccepted and one ObjectCompleted/ObjectFailed per attempt.
 */
export class DispatchExecutor {
  constructor(private readonly deps: DispatchExecutionDeps) {}

  private endpoint(providerId: string): ProviderEndpoint {
    const endpoint = this.deps.endpoints[providerId];
    return { id: providerId, baseUrl: endpoint.baseUrl, apiKey: endpoint.apiKey };
  }

  async execute(dispatch: Dispatch): Promise<DispatchOutcome> {
    const { payload } = dispatch;
    const base = { objectId: payload.objectId, accountId: payload.accountId, attempt: payload.attempt };
    const ctx = causedBy(dispatch);
    const make = this.deps.events;
    const now = make.now();
    const input = promptOf(payload.work.input);
    if (input === null) {
      return {
        dispatch,
        outcome: 'failed',
        providerId: null,
        events: [
          createEvent(ObjectFailed, { ...base, transient: false, code: 'input_by_reference_unsupported', message: 'the router cannot yet run an input stored by reference (blob)' }, ctx, make),
        ],
      };
    }
    const model = findModel(this.deps.catalogue, payload.work.model);
    const request: QuoteRequest = {
      model: payload.work.model,
      inputTokens: model ? countPromptTokens(this.deps.catalogue, model.id, input) : 0,
      maxOutputTokens: payload.work.maxOutputTokens,
      pricing: payload.pricing,
      routing: payload.routing,
      avoidProviders: payload.avoidProviders,
      escalated: payload.escalated,
    };
    const quotes = quotesFor(request, {
      catalogue: this.deps.catalogue,
      at: now,
      reachable: (id) => this.deps.endpoints[id] !== undefined,
      health: (id, reliability) => this.deps.health.healthOf(id, reliability, now),
    });
    const decision = chooseRoute(request, quotes);
    if (decision.kind === 'reject') {
      return { dispatch, outcome: 'rejected', providerId: null, events: [createEvent(QuoteRejected, { ...base, code: decision.code, message: decision.message }, ctx, make)] };
    }
    // A real-time request, or an object whose deadline is too close for a retry through the
    // scheduler (a no-SLA item: its customer is waiting), fails over to the next quote at once.
    const urgent = Date.parse(payload.deadlineAt) - now.getTime() < URGENT_WITHIN_MS;
    const failsOver = payload.pricing.kind === 'realtime' || urgent;
    // An urgent batch item (no SLA: its deadline leaves no room for a retry through the
    // scheduler) goes round the acceptable providers twice before it fails.
    const candidates = !failsOver ? decision.ranked.slice(0, 1) : payload.pricing.kind === 'sla' ? [...decision.ranked, ...decision.ranked] : decision.ranked;
    const failures: ProviderError[] = [];
    for (const [attemptIndex, quote] of candidates.entries()) {
      const accepted = createEvent(
        QuoteAccepted,
        {
          ...base,
          providerId: quote.providerId,
          providerModel: quote.providerModel,
          mode: 'live',
          estimatedProviderCostMicros: quote.estimatedProviderCostMicros,
          estimatedCustomerPriceMicros: quote.estimatedCustomerPriceMicros,
          estimatedLatencyMs: quote.estimatedLatencyMs,
        },
        ctx,
        make,
      );
      const result = await this.call(quote, input, payload.work.maxOutputTokens, dispatch);
      if (result.ok) {
        const completed = createEvent(
          ObjectCompleted,
          {
            ...base,
            providerId: quote.providerId,
            mode: 'live',
            inputTokens: result.inputTokens,
            outputTokens: result.outputTokens,
            output: { text: result.text },
            providerCostMicros: tokenCostMicros(quote.price, result.inputTokens, result.outputTokens),
            latencyMs: result.latencyMs,
          },
          ctx,
          make,
        );
        return { dispatch, outcome: 'completed', providerId: quote.providerId, events: [accepted, completed] };
      }
      failures.push(result.error);
      // A request the provider refused as such would be refused anywhere: no failover.
      const requestRefused = result.error instanceof ProviderRejectedError;
      const lastCandidate = attemptIndex === candidates.length - 1;
      if (!failsOver || requestRefused || (lastCandidate && payload.pricing.kind === 'sla')) {
        return { dispatch, outcome: 'failed', providerId: quote.providerId, events: [accepted, this.failedEvent(dispatch, result.error)] };
      }
      if (lastCandidate) {
        const failed = createEvent(
          ObjectFailed,
          {
            ...base,
            providerId: quote.providerId,
            transient: false,
            code: 'all_providers_failed',
            message: `every acceptable provider failed: ${failures.map((f) => `${f.message} (${f.code})`).join('; ')}`,
          },
          ctx,
          make,
        );
        return { dispatch, outcome: 'failed', providerId: quote.providerId, events: [accepted, failed] };
      }
    }
    throw new Error('unreachable: a route has at least one quote');
  }

  /** A dispatch the router itself could not run (a bug, not the provider): transient, so the scheduler tries again. */
  internalFailure(dispatch: Dispatch, err: unknown): DispatchOutcome {
    const { objectId, accountId, attempt } = dispatch.payload;
    const message = `the router could not run this dispatch: ${err instanceof Error ? err.message : String(err)}`;
    return {
      dispatch,
      outcome: 'failed',
      providerId: null,
      events: [createEvent(ObjectFailed, { objectId, accountId, attempt, transient: true, code: 'router_internal_error', message }, causedBy(dispatch), this.deps.events)],
    };
  }

  private failedEvent(dispatch: Dispatch, error: ProviderError): SluiceEvent {
    const { objectId, accountId, attempt } = dispatch.payload;
    const retryAfterMs = 'retryAfterMs' in error && typeof error.retryAfterMs === 'number' ? Math.round(error.retryAfterMs) : undefined;
    return createEvent(
      ObjectFailed,
      {
        objectId,
        accountId,
        attempt,
        providerId: error.providerId,
        transient: error.transient,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        code: error.code,
        message: error.message,
      },
      causedBy(dispatch),
      this.deps.events,
    );
  }

  private async call(quote: Quote, text: Prompt, maxOutputTokens: number, dispatch: Dispatch) {
    const provider = findProvider(this.deps.catalogue, quote.providerId);
    try {
      const result = await inSpan(
        `provider ${quote.providerId} chat.completions`,
        traceparentOfEvent(dispatch),
        { 'gen_ai.system': quote.providerId, 'gen_ai.request.model': quote.providerModel, 'gen_ai.request.max_tokens': maxOutputTokens, 'sluice.object.id': dispatch.payload.objectId },
        async (span) => {
          const done = await this.deps.adapter.complete({ provider: this.endpoint(quote.providerId), providerModel: quote.providerModel, input: text, maxOutputTokens });
          span?.setAttributes({ 'gen_ai.usage.input_tokens': done.inputTokens, 'gen_ai.usage.output_tokens': done.outputTokens });
          return done;
        },
      );
      this.deps.health.record(quote.providerId, {
        at: this.deps.events.now(),
        ok: true,
        latencyMs: result.latencyMs,
        expectedLatencyMs: expectedLatencyMs(provider, result.outputTokens),
      });
      return { ok: true as const, ...result };
    } catch (err) {
      this.deps.health.record(quote.providerId, { at: this.deps.events.now(), ok: false });
      return { ok: false as const, error: asProviderError(quote.providerId, err) };
    }
  }
}
