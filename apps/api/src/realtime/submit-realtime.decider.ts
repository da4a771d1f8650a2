import { countPromptTokensInSlices, countPromptTokensWith, findModel, type Catalogue } from '@sluice/catalogue';
import {
  GenerationParams,
  ObjectAbandoned,
  ObjectCompleted,
  ObjectFailed,
  ObjectSubmitted,
  QuoteAccepted,
  createEvent,
  type ChatMessage,
  type EventFactoryDeps,
  type Pricing,
  type Routing,
  type SluiceEvent,
} from '@sluice/events';
import { customerPriceMicros, reservationMicros } from '@sluice/pricing';
import type { CompletionResult } from '@sluice/providers';
import { acceptedQuoteFields, completedCallFields, type Quote } from '@sluice/routing';
import { UnknownModelError, ValidationError } from '../errors/api-error';
import { generationParamsOf } from '../generation/generation-fields';
import { promptOf, type RealtimeRequest } from './realtime-request';

/**
 * One real-time request whichever API it came through (`/v1/inference`, OpenAI's chat
 * completions): what to run, how, and the customer's own fields.
 */
export interface GatewayRequest {
  /** As the customer named it (answered back the same way). */
  model: string;
  prompt: string | ChatMessage[];
  /** The customer's bound on output tokens; absent: the model's own cap (within its context). */
  maxOutputTokens?: number;
  /** The request field the bound came from, named in errors. */
  maxOutputTokensField: string;
  params?: GenerationParams;
  profile: Routing['profile'];
  strategy: Routing['strategy'];
  maxPriceUsd?: number;
  maxLatencyMs?: number;
  customerRef?: string;
  metadata?: Record<string, unknown>;
}

/** The routing and customer fields both real-time APIs take under the same names. */
export interface RoutingFields {
  performance_profile: Routing['profile'];
  routing_strategy: Routing['strategy'];
  max_price_usd?: number;
  max_latency_ms?: number;
  customer_ref?: string;
  metadata?: Record<string, unknown> | null;
}

export function routingOf(body: RoutingFields): Pick<GatewayRequest, 'profile' | 'strategy' | 'maxPriceUsd' | 'maxLatencyMs' | 'customerRef' | 'metadata'> {
  return {
    profile: body.performance_profile,
    strategy: body.routing_strategy,
    ...(body.max_price_usd !== undefined ? { maxPriceUsd: body.max_price_usd } : {}),
    ...(body.max_latency_ms !== undefined ? { maxLatencyMs: body.max_latency_ms } : {}),
    ...(body.customer_ref !== undefined ? { customerRef: body.customer_ref } : {}),
    ...(body.metadata != null ? { metadata: body.metadata } : {}),
  };
}

/** POST /v1/inference's body as a gateway request. */
export function fromInferenceRequest(request: RealtimeRequest): GatewayRequest {
  const params = generationParamsOf(request);
  return {
    model: request.model,
    prompt: promptOf(request),
    maxOutputTokens: request.max_output_tokens,
    maxOutputTokensField: 'max_output_tokens',
    ...(params ? { params } : {}),
    ...routingOf(request),
  };
}

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
  /** The prompt's tokens, counted beforehand (countRealtimeInput); counted here when absent. */
  inputTokens?: number;
}

/** One real-time request, resolved and bounded, before anything runs. */
export interface RealtimePlan {
  accountId: string;
  objectId: string;
  /** The canonical model id (the alias the customer used is answered back as they sent it). */
  modelId: string;
  prompt: string | ChatMessage[];
  inputTokens: number;
  maxOutputTokens: number;
  params?: GenerationParams;
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

/** The prompt's tokens as planRealtime counts them, in slices of the event loop (undefined for an unknown model). */
export async function countRealtimeInput(request: GatewayRequest, catalogue: Catalogue): Promise<number | undefined> {
  const model = findModel(catalogue, request.model);
  return model ? countPromptTokensInSlices(model.tokenizer, request.prompt) : undefined;
}

/**
 * Turns a validated real-time request into a plan (pure; ids come in): resolves the alias,
 * counts the input, bounds max_output_tokens by the model's cap and context, and prices the
 * bound with billing's own function, so the gateway holds exactly what billing would reserve.
 */
export function planRealtime(request: GatewayRequest, ctx: PlanContext): RealtimePlan {
  const model = findModel(ctx.catalogue, request.model);
  if (!model) throw new UnknownModelError(request.model, 'model');
  const inputTokens = ctx.inputTokens ?? countPromptTokensWith(model.tokenizer, request.prompt);
  const field = request.maxOutputTokensField;
  const maxOutputTokens = request.maxOutputTokens ?? Math.max(1, Math.min(model.maxOutputTokens, model.contextTokens - inputTokens));
  if (maxOutputTokens > model.maxOutputTokens) {
    throw new ValidationError([{ field, message: `${model.id} produces at most ${model.maxOutputTokens} output tokens` }]);
  }
  if (inputTokens + maxOutputTokens > model.contextTokens) {
    const inputField = typeof request.prompt === 'string' ? 'input' : 'messages';
    throw new ValidationError([
      { field: inputField, message: `${inputTokens} input tokens leave no room for ${maxOutputTokens} output tokens in ${model.id}'s ${model.contextTokens}-token context` },
    ]);
  }
  // The events record the parameters: what their schema refuses is refused here, before anything runs.
  const params = request.params === undefined ? undefined : GenerationParams.safeParse(request.params);
  if (params && !params.success) {
    throw new ValidationError(params.error.issues.map((issue) => ({ field: issue.path.join('.') || 'params', message: issue.message })));
  }
  const routing: Routing = {
    profile: request.profile,
    strategy: request.strategy,
    ...(request.maxPriceUsd !== undefined ? { maxPriceMicros: usdToMicros(request.maxPriceUsd) } : {}),
    ...(request.maxLatencyMs !== undefined ? { maxLatencyMs: request.maxLatencyMs } : {}),
  };
  const pricing: Pricing = { kind: 'realtime', markupBps: ctx.markupBps };
  return {
    accountId: ctx.accountId,
    objectId: ctx.newId(),
    modelId: model.id,
    prompt: request.prompt,
    inputTokens,
    maxOutputTokens,
    ...(request.params !== undefined ? { params: request.params } : {}),
    pricing,
    routing,
    reservationMicros: reservationMicros({ model: model.id, inputTokens, maxOutputTokens, pricing, routing }, ctx.catalogue),
    ...(request.customerRef !== undefined ? { customerRef: request.customerRef } : {}),
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
        input: typeof plan.prompt === 'string' ? { text: plan.prompt } : { messages: plan.prompt },
        inputTokens: plan.inputTokens,
        maxOutputTokens: plan.maxOutputTokens,
        ...(plan.params !== undefined ? { params: plan.params } : {}),
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
