/**
 * The one home of money conversions: Sluice counts integer micro-dollars inside; the API shows
 * and takes US dollars at its edge.
 */
export const MICROS_PER_USD = 1_000_000;

/** Micro-dollars as the US dollars an answer shows (exact to the micro-dollar). */
export const toUsd = (micros: number): number => micros / MICROS_PER_USD;

/** US dollars from a request as whole micro-dollars, to the nearest. */
export const toMicros = (usd: number): number => Math.round(usd * MICROS_PER_USD);
