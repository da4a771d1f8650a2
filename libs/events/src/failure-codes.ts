/**
 * The codes Sluice itself gives an object that ends without an answer (`code` of ObjectAbandoned
 * and ObjectFailed, `error.code` in GET): one home, so a client and a dashboard can rely on them.
 * Providers' and the router's own codes (rate limits, context length, …) pass through as they come.
 */
export const FailureCodes = {
  /** Billing denied the reservation: the wallet cannot cover the object's bound. */
  insufficientBalance: 'insufficient_balance',
  /** The customer cancelled the task before this object started. */
  batchCancelled: 'batch_cancelled',
  /** A service could not handle one of the object's events after its retries (a bug, not the request's fault). */
  deadLettered: 'dead_lettered',
} as const;

export type FailureCode = (typeof FailureCodes)[keyof typeof FailureCodes];
