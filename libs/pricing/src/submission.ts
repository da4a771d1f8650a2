/** What a provider may produce per item when the item asks for nothing else (and the model allows it). */
export const DEFAULT_MAX_OUTPUT_TOKENS = 1_024;
/** How long an item without an SLA may take before it counts as late. */
export const NO_SLA_DEADLINE_MINUTES = 5;

/** The output tokens an item's reservation covers: what it asked for (or the default), within the model's cap. */
export function outputTokenBudget(model: { maxOutputTokens: number }, requested?: number): number {
  return Math.min(requested ?? DEFAULT_MAX_OUTPUT_TOKENS, model.maxOutputTokens);
}

/** When an item submitted at `submittedAt` is due: its SLA window, or a few minutes without one. */
export function deadlineOf(submittedAt: Date, slaMinutes: number | null): string {
  return new Date(submittedAt.getTime() + (slaMinutes ?? NO_SLA_DEADLINE_MINUTES) * 60_000).toISOString();
}
