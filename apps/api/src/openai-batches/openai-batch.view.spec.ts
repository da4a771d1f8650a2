import type { FileRow } from '../files/file.projection';
import { batchObject, batchStatus, fileObject, quoteOf, type BatchProgress, type BatchRow, type QuoteGroup } from './openai-batch.view';

const row = (patch: Partial<BatchRow> = {}): BatchRow => ({
  batchId: 'b1',
  accountId: 'a1',
  inputFileId: 'f1',
  endpoint: '/v1/chat/completions',
  completionWindow: '1h',
  slaMinutes: 60,
  metadata: { team: 'x' },
  createdAt: '2030-01-01T10:00:00.000Z',
  cancellingAt: null,
  finalizingAt: null,
  ...patch,
});

const group = (patch: Partial<QuoteGroup> = {}): QuoteGroup => ({
  model: 'm',
  priceFactor: 0.5,
  lines: 3,
  inputTokens: 1_000_000,
  maxOutputTokens: 0,
  chargedMicros: 0,
  lastLineAt: '2030-01-01T10:00:02.000Z',
  ...patch,
});

const file = (purpose: FileRow['purpose'], items = 2): FileRow => ({
  fileId: `${purpose}-file`,
  accountId: 'a1',
  fileName: 'x.jsonl',
  bytes: 10,
  mimeType: 'application/jsonl',
  sha256: '0'.repeat(64),
  blobKey: 'k',
  items,
  format: null,
  purpose,
  taskId: 'b1',
  createdAt: '2030-01-01T10:30:00.000Z',
});

const progress = (patch: Partial<BatchProgress> = {}): BatchProgress => ({ totalItems: 3, completedItems: 0, failedItems: 0, groups: [group()], outputFile: null, errorFile: null, ...patch });

describe('an OpenAI batch’s status from Sluice’s facts', () => {
  it.each<[string, BatchRow, BatchProgress, string]>([
    ['no line expanded yet', row(), progress({ groups: [] }), 'validating'],
    ['some lines expanded', row(), progress({ groups: [group({ lines: 2 })] }), 'validating'],
    ['every line expanded', row(), progress(), 'in_progress'],
    ['every line ended, files not written', row(), progress({ completedItems: 2, failedItems: 1 }), 'finalizing'],
    ['the output files written', row(), progress({ completedItems: 3, outputFile: file('output') }), 'completed'],
    ['every line refused', row(), progress({ failedItems: 3, groups: [group({ model: null, priceFactor: null })] }), 'failed'],
    ['cancelled, lines still running', row({ cancellingAt: '2030-01-01T10:10:00.000Z' }), progress({ completedItems: 1 }), 'cancelling'],
    ['cancelled and its files written', row({ cancellingAt: '2030-01-01T10:10:00.000Z' }), progress({ completedItems: 1, failedItems: 2, outputFile: file('output', 1) }), 'cancelled'],
  ])('%s: %s', (_case, r, p, status) => {
    expect(batchStatus(r, p)).toBe(status);
  });
});

describe('the batch object', () => {
  const quote = { priceFactor: 0.5, expectedCostMicros: 1_500_000, chargedMicros: 250_000 };

  it('is OpenAI’s, with unix timestamps, counts, both files and the sluice extension', () => {
    const done = batchObject(row({ finalizingAt: '2030-01-01T10:29:00.000Z' }), progress({ completedItems: 2, failedItems: 1, outputFile: file('output'), errorFile: file('error', 1) }), quote);
    expect(done).toEqual({
      id: 'b1',
      object: 'batch',
      endpoint: '/v1/chat/completions',
      errors: null,
      input_file_id: 'f1',
      completion_window: '1h',
      status: 'completed',
      output_file_id: 'output-file',
      error_file_id: 'error-file',
      created_at: 1_893_492_000,
      in_progress_at: 1_893_492_002,
      expires_at: 1_893_495_600,
      finalizing_at: 1_893_493_740,
      completed_at: 1_893_493_800,
      failed_at: null,
      expired_at: null,
      cancelling_at: null,
      cancelled_at: null,
      request_counts: { total: 3, completed: 2, failed: 1 },
      metadata: { team: 'x' },
      sluice: { sla_minutes: 60, price_factor: 0.5, expected_cost_usd: 1.5, charged_usd: 0.25 },
    });
  });

  it('has no output file id when no line succeeded (OpenAI’s null), and says why a failed batch failed', () => {
    const failed = batchObject(row(), progress({ failedItems: 3, groups: [group({ model: null, priceFactor: null })], outputFile: file('output', 0), errorFile: file('error', 3) }), quote);
    expect(failed).toMatchObject({ status: 'failed', output_file_id: null, error_file_id: 'error-file', in_progress_at: null, failed_at: 1_893_492_002 });
    expect(failed.errors?.data[0]).toMatchObject({ param: 'input_file_id' });
  });
});

describe('the batch’s quote', () => {
  const prices = { m: { inputMicrosPerMillion: 1_000_000, outputMicrosPerMillion: 2_000_000 }, n: { inputMicrosPerMillion: 3_000_000, outputMicrosPerMillion: 3_000_000 } };
  const basePrice = (model: string) => prices[model as keyof typeof prices];

  it('is the lines’ factor and the cost of their reservations, and what was charged', () => {
    const q = quoteOf([group({ inputTokens: 2_000_000, maxOutputTokens: 1_000_000, chargedMicros: 700 }), group({ model: null, priceFactor: null, chargedMicros: 0 })], basePrice);
    expect(q).toEqual({ priceFactor: 0.5, expectedCostMicros: 2_000_000, chargedMicros: 700 });
  });

  it('weights differing factors by base cost, and has none before any line is quoted', () => {
    expect(quoteOf([group({ priceFactor: 0.4 }), group({ model: 'n', priceFactor: 0.8 })], basePrice).priceFactor).toBe(0.7);
    expect(quoteOf([], basePrice)).toEqual({ priceFactor: null, expectedCostMicros: 0, chargedMicros: 0 });
  });
});

describe('the file object', () => {
  it('is OpenAI’s: an upload is a batch input, an output or error file a batch output', () => {
    expect(fileObject(file('input'))).toEqual({ id: 'input-file', object: 'file', bytes: 10, created_at: 1_893_493_800, filename: 'x.jsonl', purpose: 'batch', status: 'processed', expires_at: null, status_details: null });
    expect(fileObject(file('error')).purpose).toBe('batch_output');
  });
});
