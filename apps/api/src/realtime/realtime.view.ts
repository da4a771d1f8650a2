import { toUsd } from '@sluice/pricing';
import type { ObjectRow } from '../read-models/object.projection';

export interface InferenceResponse {
  id: string;
  object: 'inference';
  model: string;
  output_text: string;
  status: 'success';
  usage: { input_tokens: number; output_tokens: number; total_tokens: number };
  /**
   * latency_ms: wall clock inside Sluice, from the request to its answer; provider_latency_ms: the
   * provider's part of it; estimated_latency_ms: the estimate the route was chosen on.
   */
  performance: { latency_ms: number; provider_latency_ms?: number; estimated_latency_ms?: number };
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
function isAnswerable(row: ObjectRow): boolean {
  return row.status === 'completed' && row.chargedMicros !== null;
}

/** What an answer is made of, from the gateway's call or from the object's read model. */
export interface Answer {
  objectId: string;
  /** The name the customer asked for. */
  model: string;
  text: string;
  inputTokens: number;
  outputTokens: number;
  chargedMicros: number;
  balanceAfterMicros: number;
  latencyMs: number;
  providerLatencyMs?: number;
  estimatedLatencyMs?: number;
  /** Why the provider stopped (`stop`, `length`, …), as it said. */
  finishReason?: string;
}

/**
 * The seed's response. `cost_per_million_tokens_usd` is the blended rate (micro-dollars per
 * token are dollars per million tokens), present only when tokens > 0.
 */
export function inferenceResponse(answer: Answer): InferenceResponse {
  const { inputTokens, outputTokens, chargedMicros: charged } = answer;
  const totalTokens = inputTokens + outputTokens;
  const tokens = { input_tokens: inputTokens, output_tokens: outputTokens, total_tokens: totalTokens };
  return {
    id: answer.objectId,
    object: 'inference',
    model: answer.model,
    output_text: answer.text,
    status: 'success',
    usage: tokens,
    performance: {
      latency_ms: answer.latencyMs,
      ...(answer.providerLatencyMs !== undefined ? { provider_latency_ms: answer.providerLatencyMs } : {}),
      ...(answer.estimatedLatencyMs !== undefined ? { estimated_latency_ms: answer.estimatedLatencyMs } : {}),
    },
    billing: {
      cost_usd: toUsd(charged),
      cost_display: `$${toUsd(charged).toFixed(6)}`,
      ...tokens,
      ...(totalTokens > 0 ? { cost_per_million_tokens_usd: Number((charged / totalTokens).toFixed(6)) } : {}),
      balance_remaining_usd: toUsd(answer.balanceAfterMicros),
    },
  };
}

/** The answer of a completed, charged object as its read model holds it. */
function answerOfRow(row: ObjectRow, model: string, latencyMs: number): Answer {
  return {
    objectId: row.objectId,
    model,
    text: row.outputText ?? '',
    inputTokens: row.inputTokens ?? 0,
    outputTokens: row.outputTokens ?? 0,
    chargedMicros: row.chargedMicros ?? 0,
    balanceAfterMicros: row.balanceAfterMicros ?? 0,
    latencyMs,
  };
}

/** GET /v1/inference/{id}: the response plus the customer's fields and, before it is answerable, where it stands. */
export function inferenceRecord(row: ObjectRow) {
  const customer = { customer_ref: row.customerRef, metadata: row.metadata === null ? null : (JSON.parse(row.metadata) as unknown) };
  const model = row.model ?? '';
  if (isAnswerable(row)) {
    const latencyMs = row.submittedAt && row.finishedAt ? Math.max(0, Date.parse(row.finishedAt) - Date.parse(row.submittedAt)) : 0;
    return { ...inferenceResponse(answerOfRow(row, model, latencyMs)), ...customer };
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
