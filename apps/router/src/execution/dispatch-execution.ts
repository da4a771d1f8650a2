import { countPromptTokens, findModel, type Catalogue } from '@sluice/catalogue';
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
import { ProviderRejectedError, type ProviderError } from '@sluice/providers';
import { LiveCaller, acceptedQuoteFields, allFailedMessage, completedCallFields, chooseRoute, quotesFor, type Quote, type QuoteRequest } from '@sluice/routing';
import { traceparentOfEvent } from '@sluice/telemetry';

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
  readonly caller: LiveCaller;
  readonly events: EventFactoryDeps;
}

/** Deadlines closer than this leave no room for a retry round trip through the scheduler. */
const URGENT_WITHIN_MS = 10 * 60_000;

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
      inputTokens: payload.inputTokens ?? (model ? countPromptTokens(this.deps.catalogue, model.id, input) : 0),
      maxOutputTokens: payload.work.maxOutputTokens,
      pricing: payload.pricing,
      routing: payload.routing,
      avoidProviders: payload.avoidProviders,
      escalated: payload.escalated,
    };
    const quotes = quotesFor(request, {
      catalogue: this.deps.catalogue,
      at: now,
      reachable: (id) => this.deps.caller.reachable(id),
      health: (id, reliability) => this.deps.caller.health.healthOf(id, reliability, now),
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
    const accepted = (quote: Quote) => createEvent(QuoteAccepted, { ...base, ...acceptedQuoteFields(quote) }, ctx, make);
    const call = { model: payload.work.model, input, maxOutputTokens: payload.work.maxOutputTokens, params: payload.work.params, traceparent: traceparentOfEvent(dispatch), objectId: payload.objectId };
    const { served, failures } = await this.deps.caller.failover(candidates, call);
    if (served) {
      const { quote, result } = served;
      const completed = createEvent(ObjectCompleted, { ...base, ...completedCallFields(quote, result) }, ctx, make);
      return { dispatch, outcome: 'completed', providerId: quote.providerId, events: [accepted(quote), completed] };
    }
    const last = failures[failures.length - 1];
    // One provider per dispatch, a refused request, or an SLA item that went round twice: the
    // last failure as it is (the scheduler decides on a retry); otherwise every provider failed.
    const exhausted = payload.pricing.kind === 'realtime' && failures.length === candidates.length && !(last.error instanceof ProviderRejectedError);
    const failed = exhausted
      ? createEvent(ObjectFailed, { ...base, providerId: last.quote.providerId, transient: false, code: 'all_providers_failed', message: allFailedMessage(failures) }, ctx, make)
      : this.failedEvent(dispatch, last.error);
    return { dispatch, outcome: 'failed', providerId: last.quote.providerId, events: [accepted(last.quote), failed] };
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
}
