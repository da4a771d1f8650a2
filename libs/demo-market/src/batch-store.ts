import { answerChatCompletion, openAiError, type ChatContext, type WireReply } from './chat-completions';

export interface StoredFile {
  readonly id: string;
  readonly object: 'file';
  readonly bytes: number;
  readonly created_at: number;
  readonly filename: string;
  readonly purpose: string;
  readonly status: 'processed';
}

type BatchStatus = 'validating' | 'failed' | 'in_progress' | 'completed' | 'cancelled';

interface BatchRecord {
  readonly id: string;
  readonly inputFileId: string;
  readonly metadata: unknown;
  readonly createdAtMs: number;
  readonly total: number;
  /** The requests until the outcome is computed; dropped then (the outcome files hold the rest). */
  lines: readonly string[];
  readonly invalidLines: readonly { line: number; message: string }[];
  cancelledAtMs?: number;
  outcome?: { outputFileId: string | null; errorFileId: string | null; completed: number; failed: number };
}

export interface BatchStoreOptions {
  readonly turnaroundMs: number;
  readonly now: () => number;
  /** Builds the context for the n-th request of a batch, as a live call would get it. */
  readonly chatContext: (completionId: string) => ChatContext;
}

const seconds = (ms: number) => Math.floor(ms / 1000);

/**
 * One provider's files and batches. Status follows the clock (validating for the first
 * tenth of the turnaround, then in progress, then completed), so polling needs no timers;
 * outputs are produced the first time a batch is seen completed.
 */
export class BatchStore {
  private readonly files = new Map<string, { meta: StoredFile; content: string }>();
  private readonly batches = new Map<string, BatchRecord>();
  private sequence = 0;

  constructor(
    private readonly providerId: string,
    private readonly options: BatchStoreOptions,
  ) {}

  private nextId(prefix: string): string {
    this.sequence += 1;
    return `${prefix}-${this.providerId}-${this.sequence}`;
  }

  uploadFile(filename: string, purpose: string, content: string): StoredFile {
    const meta: StoredFile = {
      id: this.nextId('file'),
      object: 'file',
      bytes: Buffer.byteLength(content),
      created_at: seconds(this.options.now()),
      filename,
      purpose,
      status: 'processed',
    };
    this.files.set(meta.id, { meta, content });
    return meta;
  }

  file(id: string): StoredFile | undefined {
    return this.files.get(id)?.meta;
  }

  fileContent(id: string): string | undefined {
    return this.files.get(id)?.content;
  }

  /** DELETE /v1/files/{id}: what a client does with a batch's files once it has read them. */
  deleteFile(id: string): WireReply {
    if (!this.files.delete(id)) return openAiError(404, `No such File object: ${id}`, 'invalid_request_error', 'not_found');
    return { statusCode: 200, body: { id, object: 'file', deleted: true } };
  }

  createBatch(body: Record<string, unknown>): { reply: WireReply; requests: number } {
    const reply = this.validateAndCreate(body);
    return { reply, requests: reply.statusCode === 200 ? (this.batches.get((reply.body as { id: string }).id)?.total ?? 0) : 0 };
  }

  private validateAndCreate(body: Record<string, unknown>): WireReply {
    if (body.endpoint !== '/v1/chat/completions') {
      return openAiError(400, 'endpoint must be /v1/chat/completions', 'invalid_request_error', 'invalid_value', 'endpoint');
    }
    if (body.completion_window !== '24h') {
      return openAiError(400, 'completion_window must be 24h', 'invalid_request_error', 'invalid_value', 'completion_window');
    }
    const input = typeof body.input_file_id === 'string' ? this.files.get(body.input_file_id) : undefined;
    if (!input || input.meta.purpose !== 'batch') {
      return openAiError(400, `No batch input file with id ${String(body.input_file_id)}`, 'invalid_request_error', 'invalid_file', 'input_file_id');
    }
    const lines = input.content.split('\n').filter((line) => line.trim() !== '');
    const invalidLines = lines.flatMap((line, i) => {
      try {
        const parsed = JSON.parse(line);
        if (typeof parsed?.custom_id !== 'string') return [{ line: i + 1, message: 'custom_id is required' }];
        if (parsed.url !== '/v1/chat/completions') return [{ line: i + 1, message: 'url must be /v1/chat/completions' }];
        return [];
      } catch {
        return [{ line: i + 1, message: 'not valid JSON' }];
      }
    });
    const record: BatchRecord = {
      id: this.nextId('batch'),
      inputFileId: input.meta.id,
      metadata: body.metadata ?? null,
      createdAtMs: this.options.now(),
      total: lines.length,
      lines,
      invalidLines,
    };
    this.batches.set(record.id, record);
    return { statusCode: 200, body: this.view(record) };
  }

  batch(id: string): WireReply {
    const record = this.batches.get(id);
    if (!record) return openAiError(404, `No batch found with id '${id}'.`, 'invalid_request_error', 'not_found', 'batch_id');
    return { statusCode: 200, body: this.view(record) };
  }

  cancel(id: string): WireReply {
    const record = this.batches.get(id);
    if (!record) return openAiError(404, `No batch found with id '${id}'.`, 'invalid_request_error', 'not_found', 'batch_id');
    if (this.statusOf(record) === 'validating' || this.statusOf(record) === 'in_progress') {
      record.cancelledAtMs = this.options.now();
    }
    return { statusCode: 200, body: this.view(record) };
  }

  private statusOf(record: BatchRecord): BatchStatus {
    if (record.cancelledAtMs !== undefined) return 'cancelled';
    const elapsed = this.options.now() - record.createdAtMs;
    const { turnaroundMs } = this.options;
    if (elapsed < turnaroundMs / 10) return 'validating';
    if (record.invalidLines.length > 0) return 'failed';
    return elapsed < turnaroundMs ? 'in_progress' : 'completed';
  }

  private complete(record: BatchRecord): NonNullable<BatchRecord['outcome']> {
    if (record.outcome) return record.outcome;
    const outputs: string[] = [];
    const errors: string[] = [];
    for (const line of record.lines) {
      const { custom_id: customId, body } = JSON.parse(line);
      const requestId = this.nextId('batch_req');
      const reply = answerChatCompletion(this.options.chatContext(this.nextId('chatcmpl')), body);
      const result = JSON.stringify({
        id: requestId,
        custom_id: customId,
        response: { status_code: reply.statusCode, request_id: requestId, body: reply.body },
        error: null,
      });
      (reply.statusCode === 200 ? outputs : errors).push(result);
    }
    const save = (results: string[], name: string) =>
      results.length === 0 ? null : this.uploadFile(`${record.id}_${name}.jsonl`, `batch_${name}`, `${results.join('\n')}\n`).id;
    record.outcome = { outputFileId: save(outputs, 'output'), errorFileId: save(errors, 'error'), completed: outputs.length, failed: errors.length };
    record.lines = [];
    return record.outcome;
  }

  private view(record: BatchRecord): Record<string, unknown> {
    const status = this.statusOf(record);
    const { turnaroundMs } = this.options;
    const outcome = status === 'completed' ? this.complete(record) : undefined;
    const validated = status === 'in_progress' || status === 'completed';
    return {
      id: record.id,
      object: 'batch',
      endpoint: '/v1/chat/completions',
      errors:
        status === 'failed'
          ? { object: 'list', data: record.invalidLines.map((l) => ({ code: 'invalid_request', message: l.message, line: l.line, param: null })) }
          : null,
      input_file_id: record.inputFileId,
      completion_window: '24h',
      status,
      output_file_id: outcome?.outputFileId ?? null,
      error_file_id: outcome?.errorFileId ?? null,
      created_at: seconds(record.createdAtMs),
      in_progress_at: validated ? seconds(record.createdAtMs + turnaroundMs / 10) : null,
      expires_at: seconds(record.createdAtMs + 24 * 3600 * 1000),
      completed_at: outcome ? seconds(record.createdAtMs + turnaroundMs) : null,
      failed_at: status === 'failed' ? seconds(record.createdAtMs + turnaroundMs / 10) : null,
      cancelled_at: record.cancelledAtMs !== undefined ? seconds(record.cancelledAtMs) : null,
      request_counts: {
        total: validated ? record.total : 0,
        completed: outcome?.completed ?? 0,
        failed: outcome?.failed ?? 0,
      },
      metadata: record.metadata,
    };
  }
}
