import type { FileRow } from '../files/file.projection';
import { batchObject, batchStatus, fileObject, priceFactorOf, type BatchProgress, type BatchRow, type TaskQuote } from './openai-batch.view';

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
  models: null,
});

const quote = (patch: Partial<TaskQuote> = {}): TaskQuote => ({ quotedItems: 3, baseMicros: 3_000_000, expectedMicros: 1_500_000, chargedMicros: 250_000, minFactor: 0.5, maxFactor: 0.5, ...patch });
const expanded = { taskId: 'b1', submitted: 3, rejected: 0, expandedAt: '2030-01-01T10:00:02.000Z' };
const progress = (patch: Partial<BatchProgress> = {}): BatchProgress => ({
  totalItems: 3,
  completedItems: 0,
  failedItems: 0,
  expansion: expanded,
  quote: quote(),
  outputFile: null,
  errorFile: null,
  ...patch,
});

describe('an OpenAI batch’s status from Sluice’s facts', () => {
  it.each<[string, BatchRow, BatchProgress, string]>([
    ['the file not read yet', row(), progress({ expansion: null, quote: null }), 'validating'],
    ['some lines quoted, the file not read to its end', row(), progress({ expansion: null }), 'validating'],
    ['every line read', row(), progress(), 'in_progress'],
    ['every line ended, files not written', row(), progress({ completedItems: 2, failedItems: 1 }), 'finalizing'],
    ['the output files written before the end of the last line is projected', row(), progress({ completedItems: 2, outputFile: file('output') }), 'finalizing'],
    ['the output files written', row({ finalizingAt: '2030-01-01T10:29:00.000Z' }), progress({ completedItems: 3, outputFile: file('output') }), 'completed'],
    ['every line refused', row(), progress({ failedItems: 3, expansion: { ...expanded, submitted: 0, rejected: 3 } }), 'failed'],
    ['cancelled, lines still running', row({ cancellingAt: '2030-01-01T10:10:00.000Z' }), progress({ completedItems: 1 }), 'cancelling'],
    ['cancelled while validating', row({ cancellingAt: '2030-01-01T10:10:00.000Z' }), progress({ expansion: null }), 'cancelling'],
    ['cancelled and its files written', row({ cancellingAt: '2030-01-01T10:10:00.000Z', finalizingAt: '2030-01-01T10:29:00.000Z' }), progress({ completedItems: 1, failedItems: 2, outputFile: file('output', 1) }), 'cancelled'],
  ])('%s: %s', (_case, r, p, status) => {
    expect(batchStatus(r, p)).toBe(status);
  });
});

describe('the batch object', () => {
  it('is OpenAI’s, with unix timestamps, counts, both files and the sluice extension', () => {
    const done = batchObject(row({ finalizingAt: '2030-01-01T10:29:00.000Z' }), progress({ completedItems: 2, failedItems: 1, outputFile: file('output'), errorFile: file('error', 1) }));
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
    const failed = batchObject(row(), progress({ failedItems: 3, expansion: { ...expanded, submitted: 0, rejected: 3 }, quote: null, outputFile: file('output', 0), errorFile: file('error', 3) }));
    expect(failed).toMatchObject({ status: 'failed', output_file_id: null, error_file_id: 'error-file', in_progress_at: null, failed_at: 1_893_492_002 });
    expect(failed.errors?.data[0]).toMatchObject({ param: 'input_file_id' });
    expect(failed.sluice).toEqual({ sla_minutes: 60, price_factor: null, expected_cost_usd: 0, charged_usd: 0 });
  });
});

describe('the batch’s price factor', () => {
  it('is the lines’ own when they share one, else their base-cost-weighted mean, and none before a line is quoted', () => {
    expect(priceFactorOf(quote())).toBe(0.5);
    expect(priceFactorOf(quote({ minFactor: 0.4, maxFactor: 0.8, baseMicros: 4_000_000, expectedMicros: 2_800_000 }))).toBe(0.7);
    expect(priceFactorOf(null)).toBeNull();
  });
});

describe('the file object', () => {
  it('is OpenAI’s: an upload is a batch input, an output or error file a batch output', () => {
    expect(fileObject(file('input'))).toEqual({ id: 'input-file', object: 'file', bytes: 10, created_at: 1_893_493_800, filename: 'x.jsonl', purpose: 'batch', status: 'processed', expires_at: null, status_details: null });
    expect(fileObject(file('error')).purpose).toBe('batch_output');
  });
});
