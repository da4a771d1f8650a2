import { countTokensWith, findModel, type Catalogue } from '@sluice/catalogue';
import {
  ObjectAbandoned,
  ObjectCompleted,
  ObjectFailed,
  ObjectSubmitted,
  QuoteAccepted,
  createEvent,
  type EventFactoryDeps,
  type Pricing,
  type Routing,
  type SluiceEvent,
} from '@sluice/events';
import { customerPriceMicros, reservationMicros } from '@sluice/pricing';
import type { CompletionResult } from '@sluice/providers';
import { acceptedQuoteFields, completedCallFields, type Quote } from '@sluice/routing';
import { UnknownModelError, ValidationError } from '../errors/api-error';
import { promptOf, type RealtimeRequest } from './realtime-request';

/**
 * The exchange's margin on real-time requests: the customer pays the provider's cost plus 10 %
 * (basis points). Fixed on each object at submission, so a change never reprices running work.
 */
export const DEFAULT_MARKUP_BPS = 1_000;
/** A real-time object's deadline, as recorded on its ObjectSubmitted. */
export const REALTIME_DEADLINE_MS = 60_000;

export interface PlanContext {
  catalogue: Catalogue;
  accountId: string;
  markupBps: number;
  newId: () => string;
}

/** One real-time request, resolved and bounded, before anything runs. */
export interface RealtimePlan {
  accountId: string;
  objectId: string;
  /** The canonical model id (the alias the customer used is answered back as they sent it). */
  modelId: string;
  text: string;
  inputTokens: number;
  maxOutputTokens: number;
  pricing: Pricing;
  routing: Routing;
  /** The most the request can cost the customer: what the gateway holds and billing reserves. */
  reservationMicros: number;
  customerRef?: string;
  metadata?: Record<string, unknown>;
}

/** Dollars at the edge to micro-dollars inside, rounded down so the cap is never exceeded. */
export function usdToMicros(usd: number): number {
  return Math.floor(Math.round(usd * 1e9) / 1e3);
}

/**
 * Turns a validated real-time request into a plan (pure; ids come in): resolves the alias,
 * counts the input, bounds max_output_tokens by the model's cap and context, and prices the
 * bound with billing's own function, so the gateway holds exactly what billing would reserve.
 */
export function planRealtime(request: RealtimeRequest, ctx: PlanContext): RealtimePlan {
  const model = findModel(ctx.catalogue, request.model);
  if (!model) throw new UnknownModelError(request.model, 'model');
  const text = promptOf(request);
  const maxOutputTokens = request.max_output_tokens;
  if (maxOutputTokens > model.maxOutputTokens) {
    throw new ValidationError([{ field: 'max_output_tokens', message: `${model.id} produces at most ${model.maxOutputTokens} output tokens` }]);
  }
  const inputTokens = countTokensWith(model.tokenizer, text);
  if (inputTokens + maxOutputTokens > model.contextTokens) {
    throw new ValidationError([
      { field: 'input', message: `${inputTokens} input tokens leave no room for ${maxOutputTokens} output tokens in ${model.id}'s ${model.contextTokens}-token context` },
    ]);
  }
  const routing: Routing = {
    profile: request.performance_profile,
    strategy: request.routing_strategy,
    ...(request.max_price_usd !== undefined ? { maxPriceMicros: usdToMicros(request.max_price_usd) } : {}),
    ...(request.max_latency_ms !== undefined ? { maxLatencyMs: request.max_latency_ms } : {}),
  };
  const pricing: Pricing = { kind: 'realtime', markupBps: ctx.markupBps };
  return {
    accountId: ctx.accountId,
    objectId: ctx.newId(),
    modelId: model.id,
    text,
    inputTokens,
    maxOutputTokens,
    pricing,
    routing,
    reservationMicros: reservationMicros({ model: model.id, inputTokens, maxOutputTokens, pricing, routing }, ctx.catalogue),
    ...(request.customer_ref !== undefined ? { customerRef: request.customer_ref } : {}),
    ...(request.metadata !== undefined ? { metadata: request.metadata } : {}),
  };
}

/** What the provider call came to: served by `quote`, or failed (the last quote tried, if any). */
export type RealtimeOutcome =
  | { kind: 'served'; quote: Quote; result: CompletionResult }
  | { kind: 'failed'; quote: Quote; code: string; message: string };

/** The provider's cost of a served request and what billing will charge for it (capped by the hold). */
export function servedCharge(plan: RealtimePlan, quote: Quote, result: CompletionResult): { providerCostMicros: number; chargeMicros: number } {
  const { providerCostMicros } = completedCallFields(quote, result);
  const price = customerPriceMicros(plan.pricing, { inputTokens: result.inputTokens, outputTokens: result.outputTokens, providerCostMicros });
  return { providerCostMicros, chargeMicros: Math.min(price, plan.reservationMicros) };
}

/**
 * The request's whole story in the catalogue's events, written in one append once it is
 * answered (pure; clock and ids come in): ObjectSubmitted (marked as served by the gateway, so
 * nothing plans it again; a request is no batch task, so its object id is its task id and
 * correlation id), QuoteAccepted for the provider that ended it, then ObjectCompleted, or
 * ObjectFailed and ObjectAbandoned (billing releases, nothing is charged).
 */
export function realtimeEvents(plan: RealtimePlan, outcome: RealtimeOutcome, deps: EventFactoryDeps & { traceparent?: string }): SluiceEvent[] {
  const now = deps.now();
  const context = { correlationId: plan.objectId, ...(deps.traceparent ? { traceparent: deps.traceparent } : {}) };
  const { objectId, accountId } = plan;
  const base = { objectId, accountId, attempt: 1 };
  const { quote } = outcome;
  const events: SluiceEvent[] = [
    createEvent(
      ObjectSubmitted,
      {
        objectId,
        taskId: objectId,
        accountId,
        index: 0,
        model: plan.modelId,
        input: { text: plan.text },
        inputTokens: plan.inputTokens,
        maxOutputTokens: plan.maxOutputTokens,
        slaMinutes: null,
        deadlineAt: new Date(now.getTime() + REALTIME_DEADLINE_MS).toISOString(),
        pricing: plan.pricing,
        routing: plan.routing,
        ...(plan.customerRef !== undefined ? { customerRef: plan.customerRef } : {}),
        ...(plan.metadata !== undefined ? { metadata: plan.metadata } : {}),
        gateway: true,
      },
      context,
      deps,
    ),
    createEvent(QuoteAccepted, { ...base, ...acceptedQuoteFields(quote) }, context, deps),
  ];
  if (outcome.kind === 'served') {
    events.push(createEvent(ObjectCompleted, { ...base, ...completedCallFields(quote, outcome.result), gateway: true }, context, deps));
    return events;
  }
  events.push(
    createEvent(ObjectFailed, { ...base, providerId: quote.providerId, transient: false, code: outcome.code, message: outcome.message, gateway: true }, context, deps),
    createEvent(ObjectAbandoned, { objectId, accountId, attempts: 1, code: outcome.code, message: outcome.message, gateway: true }, context, deps),
  );
  return events;
}
