import { toUsd } from '@sluice/pricing';
import type { TransactionRow } from '../read-models/transaction.projection';
import type { UsageBucket, UsageGroupBy } from './wallet.store';

/** One movement of the wallet, as GET /v1/transactions shows it. */
export function transactionObject(row: TransactionRow) {
  return {
    object: 'transaction' as const,
    id: row.eventId,
    type: row.type,
    amount_usd: toUsd(row.amountMicros),
    balance_before_usd: toUsd(row.balanceBeforeMicros),
    balance_after_usd: toUsd(row.balanceAfterMicros),
    charged_usd: row.chargedMicros === null ? null : toUsd(row.chargedMicros),
    reserved_usd: row.reservedMicros === null ? null : toUsd(row.reservedMicros),
    object_id: row.objectId,
    reference: row.reference,
    created_at: row.createdAt,
  };
}

function usageFigures(b: Omit<UsageBucket, 'group'>) {
  return {
    requests: b.requests,
    input_tokens: b.inputTokens,
    output_tokens: b.outputTokens,
    total_tokens: b.inputTokens + b.outputTokens,
    cost_usd: toUsd(b.costMicros),
  };
}

/** GET /v1/usage: the buckets and their sum over the window. */
export function usageObject(window: { start: Date; end: Date; groupBy: UsageGroupBy }, buckets: readonly UsageBucket[]) {
  const total = buckets.reduce(
    (sum, b) => ({ requests: sum.requests + b.requests, inputTokens: sum.inputTokens + b.inputTokens, outputTokens: sum.outputTokens + b.outputTokens, costMicros: sum.costMicros + b.costMicros }),
    { requests: 0, inputTokens: 0, outputTokens: 0, costMicros: 0 },
  );
  return {
    object: 'usage' as const,
    start_time: window.start.toISOString(),
    end_time: window.end.toISOString(),
    group_by: window.groupBy,
    data: buckets.map((b) => (window.groupBy === 'model' ? { model: b.group, ...usageFigures(b) } : { day: b.group, ...usageFigures(b) })),
    total: usageFigures(total),
  };
}
