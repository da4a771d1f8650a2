import { toUsd } from '@sluice/pricing';
import type { FileRow } from '../files/file.projection';
import type { Expansion } from './openai-batch.projection';

/** What a batch asked for (openai_batch), from its TaskSubmitted; instants are ISO strings. */
export interface BatchRow {
  batchId: string;
  accountId: string;
  inputFileId: string;
  endpoint: string;
  completionWindow: string;
  slaMinutes: number;
  metadata: Record<string, string> | null;
  createdAt: string;
  cancellingAt: string | null;
  finalizingAt: string | null;
}

/** A task's quote as the read model sums it (see quoteDeltasOf). */
export interface TaskQuote {
  quotedItems: number;
  baseMicros: number;
  expectedMicros: number;
  chargedMicros: number;
  minFactor: number | null;
  maxFactor: number | null;
}

/** How far the batch's task has got, from the task, expansion, quote and file read models. */
export interface BatchProgress {
  totalItems: number;
  completedItems: number;
  failedItems: number;
  expansion: Expansion | null;
  quote: TaskQuote | null;
  outputFile: FileRow | null;
  errorFile: FileRow | null;
}

export type BatchStatus = 'validating' | 'failed' | 'in_progress' | 'finalizing' | 'completed' | 'expired' | 'cancelling' | 'cancelled';

/** The factor on the models' base price: the lines' own when they share one, else their cost-weighted mean; null before any line is quoted. */
export function priceFactorOf(quote: TaskQuote | null): number | null {
  if (!quote || quote.minFactor === null) return null;
  if (quote.minFactor === quote.maxFactor || quote.baseMicros === 0) return quote.minFactor;
  return Math.round((quote.expectedMicros / quote.baseMicros) * 100) / 100;
}

/**
 * OpenAI's lifecycle from Sluice's facts (pure): `validating` until the files service has read
 * every line of the input file (each is then an object, quoted, or refused with its reason),
 * `failed` when it refused every line, `in_progress`, `finalizing` once every line ended,
 * `completed` once the output files are written and every line's end is projected; `cancelling` from a cancellation until then,
 * `cancelled` after. Sluice never lets a batch expire: a line that misses its window still runs.
 */
export function batchStatus(row: BatchRow, progress: BatchProgress): BatchStatus {
  const { expansion } = progress;
  if (expansion && expansion.submitted === 0 && expansion.rejected > 0) return 'failed';
  // Ended once its files are written and the facts the object reports are all projected (they
  // arrive on different partitions): every timestamp of an ended batch is then set.
  const ended = progress.outputFile !== null && row.finalizingAt !== null && expansion !== null;
  if (row.cancellingAt !== null) return ended ? 'cancelled' : 'cancelling';
  if (ended) return 'completed';
  if (!expansion) return 'validating';
  return progress.outputFile || progress.completedItems + progress.failedItems >= progress.totalItems ? 'finalizing' : 'in_progress';
}

const unix = (iso: string | null | undefined): number | null => (iso ? Math.floor(Date.parse(iso) / 1000) : null);

/** OpenAI's batch object, plus `sluice`: the window in minutes, the price factor, what the lines' reservations hold and what was charged. */
export function batchObject(row: BatchRow, progress: BatchProgress) {
  const status = batchStatus(row, progress);
  const expandedAt = progress.expansion?.expandedAt ?? null;
  const quote = progress.quote;
  const endedAt = progress.outputFile?.createdAt ?? null;
  return {
    id: row.batchId,
    object: 'batch' as const,
    endpoint: row.endpoint,
    errors:
      status === 'failed'
        ? { object: 'list' as const, data: [{ code: 'no_runnable_line', message: 'no line of the input file can run; the error file names each line and its problem', param: 'input_file_id', line: null }] }
        : null,
    input_file_id: row.inputFileId,
    completion_window: row.completionWindow,
    status,
    output_file_id: progress.outputFile && progress.outputFile.items > 0 ? progress.outputFile.fileId : null,
    error_file_id: progress.errorFile?.fileId ?? null,
    created_at: unix(row.createdAt) as number,
    in_progress_at: status !== 'failed' ? unix(expandedAt) : null,
    expires_at: (unix(row.createdAt) as number) + row.slaMinutes * 60,
    finalizing_at: unix(row.finalizingAt),
    completed_at: status === 'completed' ? unix(endedAt) : null,
    failed_at: status === 'failed' ? unix(expandedAt) : null,
    expired_at: null,
    cancelling_at: unix(row.cancellingAt),
    cancelled_at: status === 'cancelled' ? unix(endedAt) : null,
    request_counts: { total: progress.totalItems, completed: progress.completedItems, failed: progress.failedItems },
    metadata: row.metadata,
    sluice: {
      sla_minutes: row.slaMinutes,
      price_factor: priceFactorOf(quote),
      expected_cost_usd: toUsd(quote?.expectedMicros ?? 0),
      charged_usd: toUsd(quote?.chargedMicros ?? 0),
    },
  };
}

export type BatchObject = ReturnType<typeof batchObject>;

/** OpenAI's file object: an upload is a batch's input, a task's output or error file its output. */
export function fileObject(row: FileRow) {
  return {
    id: row.fileId,
    object: 'file' as const,
    bytes: row.bytes,
    created_at: unix(row.createdAt) as number,
    filename: row.fileName,
    purpose: row.purpose === 'input' ? ('batch' as const) : ('batch_output' as const),
    status: 'processed' as const,
    expires_at: null,
    status_details: null,
  };
}

/** OpenAI's list envelope; `hasMore` when the page was cut at its limit. */
export function listObject<T extends { id: string }>(data: readonly T[], hasMore: boolean) {
  return { object: 'list' as const, data, first_id: data[0]?.id ?? null, last_id: data[data.length - 1]?.id ?? null, has_more: hasMore };
}
