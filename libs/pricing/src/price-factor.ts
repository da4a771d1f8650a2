import { resolveModel, tokenCostMicros, type Catalogue } from '@sluice/catalogue';
import { cheapestFeasibleOption } from './cheapest-option';

/** "Up to 70% less": no SLA item is ever priced below 0.30 of the model's base price. */
export const PRICE_FACTOR_FLOOR = 0.3;
/** The least the exchange keeps above the cheapest route the market offers in the window. */
export const MINIMUM_MARGIN = 0.1;

/**
 * The window term falls with the logarithm of the SLA window and reaches its floor at one day:
 * 1.0 at 0 min, ~0.75 at 60 min, ~0.53 at 6 h, 0.35 at 24 h and beyond. Waiting longer lets the
 * scheduler reach off-peak windows and provider batch jobs, and the log shape reflects that the
 * first hours buy the most options.
 */
const WINDOW_FLOOR = 0.35;
const WINDOW_SCALE_MINUTES = 10;
const WINDOW_FULL_MINUTES = 24 * 60;

/**
 * The volume term rewards large tasks (they fill provider batch jobs): 1.0 for a single item,
 * falling with log10 of the item count to 0.85 at 10,000 items and beyond.
 */
const VOLUME_DISCOUNT_MAX = 0.15;
const VOLUME_FULL_ITEMS = 10_000;

export interface PriceFactorRequest {
  /** A model id or alias. */
  readonly model: string;
  /** The SLA window in minutes; null runs at once at the base price. */
  readonly slaMinutes: number | null;
  /** How many items the task carries. */
  readonly taskItems: number;
  readonly expectedInputTokens: number;
  readonly expectedOutputTokens: number;
}

export function windowTerm(slaMinutes: number): number {
  const progress = Math.min(
    1,
    Math.log1p(Math.max(0, slaMinutes) / WINDOW_SCALE_MINUTES) / Math.log1p(WINDOW_FULL_MINUTES / WINDOW_SCALE_MINUTES),
  );
  return 1 - (1 - WINDOW_FLOOR) * progress;
}

export function volumeTerm(taskItems: number): number {
  const progress = Math.min(1, Math.log10(Math.max(1, taskItems)) / Math.log10(VOLUME_FULL_ITEMS));
  return 1 - VOLUME_DISCOUNT_MAX * progress;
}

const roundTo2 = (x: number) => Math.round(x * 100) / 100;
/** Up to the next hundredth, tolerating float noise (0.55000000001 stays 0.55). */
const ceilTo2 = (x: number) => Math.ceil(x * 100 - 1e-9) / 100;

/**
 * The least factor at which the exchange still covers the cheapest route the market can deliver
 * inside the window, with its minimum margin; 1 when nothing fits in time.
 */
export function marketFloorFactor(catalogue: Catalogue, request: PriceFactorRequest, now: Date): number {
  const model = resolveModel(catalogue, request.model);
  const work = { inputTokens: request.expectedInputTokens, outputTokens: request.expectedOutputTokens };
  const baseCost = tokenCostMicros(model.basePrice, work.inputTokens, work.outputTokens);
  const deadline = new Date(now.getTime() + (request.slaMinutes ?? 0) * 60_000);
  const cheapest = cheapestFeasibleOption(catalogue, model.id, work, now, deadline);
  if (!cheapest || baseCost === 0) return 1;
  return Math.min(1, ceilTo2((cheapest.providerCostMicros / baseCost) * (1 + MINIMUM_MARGIN)));
}

/**
 * The multiplier on the model's base price for one SLA item: 1.0 without an SLA; otherwise the
 * window term times the volume term, floored at 0.30 and never below the market floor, capped
 * at 1.0, to two decimals. Pure: the market is the catalogue at `now`. Throws
 * ModelNotFoundError for an unknown model.
 */
export function priceFactor(catalogue: Catalogue, request: PriceFactorRequest, now: Date): number {
  resolveModel(catalogue, request.model);
  if (request.slaMinutes === null) return 1;
  const curve = roundTo2(windowTerm(request.slaMinutes) * volumeTerm(request.taskItems));
  const factor = Math.max(PRICE_FACTOR_FLOOR, curve, marketFloorFactor(catalogue, request, now));
  return Math.min(1, factor);
}
