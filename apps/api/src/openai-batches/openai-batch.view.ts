import { tokenCostMicros, type TokenPrice } from '@sluice/catalogue';
import { applyPriceFactor } from '@sluice/pricing';
import type { FileRow } from '../files/file.projection';

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

/** The batch's lines grouped by how they were quoted (one group per model and price factor; a refused line has neither). */
export interface QuoteGroup {
  model: string | null;
  priceFactor: number | null;
  lines: number;
  inputTokens: number;
  maxOutputTokens: number;
  chargedMicros: number;
  /** When the group's last line became an object (or was refused). */
  lastLineAt: string | null;
}

/** How far the batch's task has got, from the task, object and file read models. */
export interface BatchProgress {
  totalItems: number;
  completedItems: number;
  failedItems: number;
  groups: QuoteGroup[];
  outputFile: FileRow | null;
  errorFile: FileRow | null;
}

export type BatchStatus = 'validating' | 'failed' | 'in_progress' | 'finalizing' | 'completed' | 'expired' | 'cancelling' | 'cancelled';

export interface BatchQuote {
  /** The factor on the models' base price: the lines' own when they share one, else their cost-weighted mean. */
  priceFactor: number | null;
  /** What the quoted lines cost at most: each at every output token it may produce (what billing reserves). */
  expectedCostMicros: number;
  chargedMicros: number;
}

/** The batch's quote from its lines' quotes (pure); `basePriceOf` gives a model's base price. */
export function quoteOf(groups: readonly QuoteGroup[], basePriceOf: (model: string) => TokenPrice | undefined): BatchQuote {
  let base = 0;
  let expected = 0;
  let charged = 0;
  const factors = new Set<number>();
  for (const g of groups) {
    charged += g.chargedMicros;
    const price = g.model === null || g.priceFactor === null ? undefined : basePriceOf(g.model);
    if (!price || g.priceFactor === null) continue;
    const cost = tokenCostMicros(price, g.inputTokens, g.maxOutputTokens);
    base += cost;
    expected += applyPriceFactor(cost, g.priceFactor);
    factors.add(g.priceFactor);
  }
  const priceFactor = factors.size === 0 ? null : factors.size === 1 ? [...factors][0] : base === 0 ? null : Math.round((expected / base) * 100) / 100;
  return { priceFactor, expectedCostMicros: expected, chargedMicros: charged };
}

interface Lines {
  known: number;
  refused: number;
  lastAt: string | null;
}

function linesOf(groups: readonly QuoteGroup[]): Lines {
  let known = 0;
  let refused = 0;
  let lastAt: string | null = null;
  for (const g of groups) {
    known += g.lines;
    if (g.model === null) refused += g.lines;
    if (g.lastLineAt !== null && (lastAt === null || g.lastLineAt > lastAt)) lastAt = g.lastLineAt;
  }
  return { known, refused, lastAt };
}

/**
 * OpenAI's lifecycle from Sluice's facts (pure): `validating` until every line of the file is an
 * object or refused, `failed` when every line was refused, `in_progress`, `finalizing` once every
 * line ended, `completed` once the output files are written; `cancelling` from a cancellation until
 * then, `cancelled` after. Sluice never lets a batch expire: a line that misses its window still runs.
 */
export function batchStatus(row: BatchRow, progress: BatchProgress): BatchStatus {
  const lines = linesOf(progress.groups);
  const validated = lines.known >= progress.totalItems;
  if (validated && progress.totalItems > 0 && lines.refused === progress.totalItems) return 'failed';
  if (row.cancellingAt !== null) return progress.outputFile ? 'cancelled' : 'cancelling';
  if (progress.outputFile) return 'completed';
  if (!validated) return 'validating';
  return progress.completedItems + progress.failedItems >= progress.totalItems ? 'finalizing' : 'in_progress';
}

const unix = (iso: string | null | undefined): number | null => (iso ? Math.floor(Date.parse(iso) / 1000) : null);
const usd = (micros: number) => micros / 1_000_000;

/** OpenAI's batch object, plus `sluice`: the window in minutes, the price factor, the expected and charged cost. */
export function batchObject(row: BatchRow, progress: BatchProgress, quote: BatchQuote) {
  const status = batchStatus(row, progress);
  const lines = linesOf(progress.groups);
  const validated = lines.known >= progress.totalItems;
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
    in_progress_at: validated && status !== 'failed' ? unix(lines.lastAt) : null,
    expires_at: (unix(row.createdAt) as number) + row.slaMinutes * 60,
    finalizing_at: unix(row.finalizingAt),
    completed_at: status === 'completed' ? unix(endedAt) : null,
    failed_at: status === 'failed' ? unix(lines.lastAt) : null,
    expired_at: null,
    cancelling_at: unix(row.cancellingAt),
    cancelled_at: status === 'cancelled' ? unix(endedAt) : null,
    request_counts: { total: progress.totalItems, completed: progress.completedItems, failed: progress.failedItems },
    metadata: row.metadata,
    sluice: {
      sla_minutes: row.slaMinutes,
      price_factor: quote.priceFactor,
      expected_cost_usd: usd(quote.expectedCostMicros),
      charged_usd: usd(quote.chargedMicros),
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
