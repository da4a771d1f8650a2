import type { ObjectRow } from '../read-models/object.projection';

/** Micro-dollars to dollars at the edge (six decimals, no float noise). */
export const microsToUsd = (micros: number): number => Number((micros / 1_000_000).toFixed(6));

export interface InferenceResponse {
  id: string;
  object: 'inference';
  model: string;
  output_text: string;
  status: 'success';
  usage: { input_tokens: number; output_tokens: number; total_tokens: number };
  performance: { latency_ms: number };
  billing: {
    cost_usd: number;
    cost_display: string;
    input_tokens: number;
    output_tokens: number;
    total_tokens: number;
    cost_per_million_tokens_usd?: number;
    balance_remaining_usd: number;
  };
}

/** A real-time object is answerable once it completed and billing's charge for it is projected. */
export function isAnswerable(row: ObjectRow): boolean {
  return row.status === 'completed' && row.chargedMicros !== null;
}

/**
 * The seed's response for a completed, charged object. `model` is the name the customer
 * asked for; `cost_per_million_tokens_usd` is the blended rate (micro-dollars per token are
 * dollars per million tokens), present only when tokens > 0.
 */
export function inferenceResponse(row: ObjectRow, model: string, latencyMs: number): InferenceResponse {
  const inputTokens = row.inputTokens ?? 0;
  const outputTokens = row.outputTokens ?? 0;
  const totalTokens = inputTokens + outputTokens;
  const charged = row.chargedMicros ?? 0;
  const tokens = { input_tokens: inputTokens, output_tokens: outputTokens, total_tokens: totalTokens };
  return {
    id: row.objectId,
    object: 'inference',
    model,
    output_text: row.outputText ?? '',
    status: 'success',
    usage: tokens,
    performance: { latency_ms: latencyMs },
    billing: {
      cost_usd: microsToUsd(charged),
      cost_display: `$${(charged / 1_000_000).toFixed(6)}`,
      ...tokens,
      ...(totalTokens > 0 ? { cost_per_million_tokens_usd: Number((charged / totalTokens).toFixed(6)) } : {}),
      balance_remaining_usd: microsToUsd(row.balanceAfterMicros ?? 0),
    },
  };
}

/** GET /v1/inference/{id}: the response plus the customer's fields and, before it is answerable, where it stands. */
export function inferenceRecord(row: ObjectRow) {
  const customer = { customer_ref: row.customerRef, metadata: row.metadata === null ? null : (JSON.parse(row.metadata) as unknown) };
  const model = row.model ?? '';
  if (isAnswerable(row)) {
    const latencyMs = row.submittedAt && row.finishedAt ? Math.max(0, Date.parse(row.finishedAt) - Date.parse(row.submittedAt)) : 0;
    return { ...inferenceResponse(row, model, latencyMs), ...customer };
  }
  const status = row.status === 'failed' ? 'failed' : row.status === 'completed' ? 'charging' : row.status;
  return {
    id: row.objectId,
    object: 'inference' as const,
    model,
    status,
    ...(row.status === 'failed' ? { error: { code: row.errorCode ?? 'failed', message: row.errorMessage ?? '' } } : {}),
    ...customer,
  };
}
