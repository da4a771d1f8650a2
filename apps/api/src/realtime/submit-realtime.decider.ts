import { countTokensWith, findModel, providersFor, tokenCostMicros, type Catalogue, type PriceWindow, type ProviderOffer } from '@sluice/catalogue';
import { createEvent, ObjectSubmitted, TaskSubmitted, type EventFactoryDeps, type Routing, type SluiceEvent } from '@sluice/events';
import { UnknownModelError, ValidationError } from '../errors/api-error';
import { promptOf, type RealtimeRequest } from './realtime-request';

/**
 * The exchange's margin on real-time requests: the customer pays the provider's cost plus 10 %
 * (basis points). Fixed on each object at submission, so a change never reprices running work.
 */
export const DEFAULT_MARKUP_BPS = 1_000;
/** A real-time object's deadline: the router does not start a retry that cannot end before it. */
export const REALTIME_DEADLINE_MS = 60_000;

export interface SubmitRealtimeContext {
  catalogue: Catalogue;
  accountId: string;
  markupBps: number;
  now: Date;
  newId: () => string;
  /** The request's trace (W3C traceparent): the object's events carry it through every service. */
  traceparent?: string;
}

export interface RealtimeSubmission {
  taskId: string;
  objectId: string;
  modelId: string;
  /** The most the request can cost the customer (what billing will reserve). */
  reservationMicros: number;
  /** TaskSubmitted (one item) then its ObjectSubmitted. */
  events: SluiceEvent[];
}

/** ceil(amount × (1 + markupBps / 10000)) in integers, as billing charges it. */
export function withMarkup(amountMicros: number, markupBps: number): number {
  return Number((BigInt(amountMicros) * BigInt(10_000 + markupBps) + 9_999n) / 10_000n);
}

function dearestCostMicros({ provider, offer }: ProviderOffer, inputTokens: number, maxOutputTokens: number): number {
  const windows: readonly PriceWindow[] = offer.priceSchedule ?? provider.priceSchedule ?? [];
  const percent = Math.max(100, ...windows.map((w) => w.multiplierPercent));
  const price = {
    inputMicrosPerMillion: Math.ceil((offer.price.inputMicrosPerMillion * percent) / 100),
    outputMicrosPerMillion: Math.ceil((offer.price.outputMicrosPerMillion * percent) / 100),
  };
  return tokenCostMicros(price, inputTokens, maxOutputTokens);
}

/**
 * The conservative bound billing reserves for a real-time object: the dearest provider at
 * its dearest window with every output token, plus the markup, never above the price cap.
 * The API's 402 pre-check uses the same bound so it never refuses what billing would accept.
 */
export function realtimeReservationMicros(offers: readonly ProviderOffer[], inputTokens: number, maxOutputTokens: number, markupBps: number, maxPriceMicros?: number): number {
  const dearest = Math.max(0, ...offers.map((o) => dearestCostMicros(o, inputTokens, maxOutputTokens)));
  const bound = withMarkup(dearest, markupBps);
  return maxPriceMicros === undefined ? bound : Math.min(bound, maxPriceMicros);
}

/** Dollars at the edge to micro-dollars inside, rounded down so the cap is never exceeded. */
export function usdToMicros(usd: number): number {
  return Math.floor(Math.round(usd * 1e9) / 1e3);
}

/**
 * Turns a validated real-time request into a one-item task (pure; clock and ids come in):
 * resolves the alias, bounds max_output_tokens by the model's cap and context, and builds
 * the events the batch path also starts with, carrying pricing (markup) and routing.
 */
export function submitRealtime(request: RealtimeRequest, ctx: SubmitRealtimeContext): RealtimeSubmission {
  const model = findModel(ctx.catalogue, request.model);
  if (!model) throw new UnknownModelError(request.model, 'model');
  const text = promptOf(request);
  const inputTokens = countTokensWith(model.tokenizer, text);
  const maxOutputTokens = request.max_output_tokens;
  if (maxOutputTokens > model.maxOutputTokens) {
    throw new ValidationError([{ field: 'max_output_tokens', message: `${model.id} produces at most ${model.maxOutputTokens} output tokens` }]);
  }
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
  const taskId = ctx.newId();
  const objectId = ctx.newId();
  const deps: EventFactoryDeps = { now: () => ctx.now, newId: ctx.newId };
  const context = { correlationId: taskId, ...(ctx.traceparent ? { traceparent: ctx.traceparent } : {}) };
  const events: SluiceEvent[] = [
    createEvent(TaskSubmitted, { taskId, accountId: ctx.accountId, totalItems: 1, outputFormat: 'json' }, context, deps),
    createEvent(
      ObjectSubmitted,
      {
        objectId,
        taskId,
        accountId: ctx.accountId,
        index: 0,
        model: model.id,
        input: { text },
        inputTokens,
        maxOutputTokens,
        slaMinutes: null,
        deadlineAt: new Date(ctx.now.getTime() + REALTIME_DEADLINE_MS).toISOString(),
        pricing: { kind: 'realtime', markupBps: ctx.markupBps },
        routing,
        ...(request.customer_ref !== undefined ? { customerRef: request.customer_ref } : {}),
        ...(request.metadata !== undefined ? { metadata: request.metadata } : {}),
      },
      context,
      deps,
    ),
  ];
  const reservationMicros = realtimeReservationMicros(providersFor(ctx.catalogue, model.id), inputTokens, maxOutputTokens, ctx.markupBps, routing.maxPriceMicros);
  return { taskId, objectId, modelId: model.id, reservationMicros, events };
}
