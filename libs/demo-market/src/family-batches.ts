import { anthropicError, answerMessage } from './anthropic-messages';
import type { ChatContext, WireReply } from './chat-completions';
import { answerGenerateContent, geminiError } from './gemini-content';

interface TimedBatch {
  readonly id: string;
  /** Gemini Batch Mode from an uploaded JSONL file: results go to a file too. */
  readonly fromFile?: boolean;
  readonly createdAtMs: number;
  readonly items: readonly { readonly key: string; readonly body: unknown }[];
  /** Gemini Batch Mode: the model in the path. */
  readonly model?: string;
  readonly displayName?: string;
  cancelledAtMs?: number;
  /** Each item's answer, made the first time the batch is seen done. */
  replies?: WireReply[];
}

export interface TimedBatchOptions {
  readonly turnaroundMs: number;
  /** A batch still running this long after creation expires with nothing run (the APIs' 24 h). */
  readonly expiresAfterMs?: number;
  readonly now: () => number;
  readonly chatContext: (completionId: string) => ChatContext;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Batches of the Anthropic and Gemini families on the clock, as the OpenAI BatchStore does:
 * running until the turnaround has passed, then every item answered as a live call would be
 * (an item the model refuses fails alone). A batch cancelled before then runs nothing.
 */
abstract class TimedBatches {
  protected readonly batches = new Map<string, TimedBatch>();
  private sequence = 0;

  constructor(
    protected readonly providerId: string,
    protected readonly options: TimedBatchOptions,
  ) {}

  protected nextId(): string {
    this.sequence += 1;
    return `${this.providerId}-${this.sequence}`;
  }

  private get expiresAfterMs(): number {
    return this.options.expiresAfterMs ?? 24 * 3600 * 1000;
  }

  protected done(batch: TimedBatch): boolean {
    return batch.cancelledAtMs !== undefined || this.options.now() - batch.createdAtMs >= Math.min(this.options.turnaroundMs, this.expiresAfterMs);
  }

  /** Ended by its deadline before its turnaround: nothing in it ran. */
  protected expired(batch: TimedBatch): boolean {
    return batch.cancelledAtMs === undefined && this.options.turnaroundMs > this.expiresAfterMs && this.done(batch);
  }

  protected endedAtMs(batch: TimedBatch): number {
    return batch.cancelledAtMs ?? batch.createdAtMs + Math.min(this.options.turnaroundMs, this.expiresAfterMs);
  }

  protected replies(batch: TimedBatch): WireReply[] | null {
    if (batch.cancelledAtMs !== undefined || this.expired(batch) || !this.done(batch)) return null;
    batch.replies ??= batch.items.map((item) => this.answer(batch, item.body));
    return batch.replies;
  }

  protected abstract answer(batch: TimedBatch, body: unknown): WireReply;

  count(id: string): number {
    return this.batches.get(id)?.items.length ?? 0;
  }
}

/** Message Batches: POST /v1/messages/batches, GET …/{id}, POST …/{id}/cancel, GET …/{id}/results (JSONL). */
export class AnthropicBatches extends TimedBatches {
  protected answer(_batch: TimedBatch, body: unknown): WireReply {
    return answerMessage(this.options.chatContext(`batch_${this.nextId()}`), body);
  }

  create(body: unknown): WireReply {
    const requests = (body as { requests?: unknown } | null)?.requests;
    if (!Array.isArray(requests) || requests.length === 0) return anthropicError(400, 'invalid_request_error', 'requests: Field required');
    const seen = new Set<string>();
    for (const [i, request] of requests.entries()) {
      const customId = (request as { custom_id?: unknown }).custom_id;
      if (typeof customId !== 'string' || !/^[a-zA-Z0-9_-]{1,64}$/.test(customId)) {
        return anthropicError(400, 'invalid_request_error', `requests.${i}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`);
      }
      if (seen.has(customId)) return anthropicError(400, 'invalid_request_error', `requests.${i}.custom_id: duplicate custom_id "${customId}"`);
      seen.add(customId);
    }
    const batch: TimedBatch = {
      id: `msgbatch_${this.nextId()}`,
      createdAtMs: this.options.now(),
      items: requests.map((r: { custom_id: string; params?: unknown }) => ({ key: r.custom_id, body: r.params })),
    };
    this.batches.set(batch.id, batch);
    return { statusCode: 200, body: this.view(batch) };
  }

  retrieve(id: string): WireReply {
    const batch = this.batches.get(id);
    return batch ? { statusCode: 200, body: this.view(batch) } : anthropicError(404, 'not_found_error', `message_batch ${id} not found`);
  }

  cancel(id: string): WireReply {
    const batch = this.batches.get(id);
    if (!batch) return anthropicError(404, 'not_found_error', `message_batch ${id} not found`);
    if (!this.done(batch)) batch.cancelledAtMs = this.options.now();
    // The API answers "canceling" at once; the batch ends as soon as nothing is running.
    return { statusCode: 200, body: { ...this.view(batch), ...(batch.cancelledAtMs === this.options.now() ? { processing_status: 'canceling' } : {}) } };
  }

  /** DELETE /v1/messages/batches/{id}: an ended batch and its results go; a running one must be cancelled first. */
  delete(id: string): WireReply {
    const batch = this.batches.get(id);
    if (!batch) return anthropicError(404, 'not_found_error', `message_batch ${id} not found`);
    if (!this.done(batch)) return anthropicError(400, 'invalid_request_error', `message_batch ${id} cannot be deleted while it is in progress; cancel it first`);
    this.batches.delete(id);
    return { statusCode: 200, body: { id, type: 'message_batch_deleted' } };
  }

  results(id: string): WireReply {
    const batch = this.batches.get(id);
    if (!batch) return anthropicError(404, 'not_found_error', `message_batch ${id} not found`);
    if (!this.done(batch)) return anthropicError(400, 'invalid_request_error', `message_batch ${id} has not ended`);
    const replies = this.replies(batch);
    const lines = batch.items.map((item, i) => {
      const reply = replies?.[i];
      const result = !reply
        ? { type: this.expired(batch) ? 'expired' : 'canceled' }
        : reply.statusCode === 200
          ? { type: 'succeeded', message: reply.body }
          : { type: 'errored', error: reply.body };
      return JSON.stringify({ custom_id: item.key, result });
    });
    return { statusCode: 200, body: `${lines.join('\n')}\n`, headers: { 'content-type': 'application/binary' } };
  }

  /** `resultsUrl` is where this server serves the results (its own origin). */
  private view(batch: TimedBatch, origin = ''): Record<string, unknown> {
    const done = this.done(batch);
    const replies = this.replies(batch);
    const succeeded = replies?.filter((r) => r.statusCode === 200).length ?? 0;
    const errored = replies ? replies.length - succeeded : 0;
    const endedAtMs = this.endedAtMs(batch);
    return {
      id: batch.id,
      type: 'message_batch',
      processing_status: done ? 'ended' : 'in_progress',
      request_counts: {
        processing: done ? 0 : batch.items.length,
        succeeded,
        errored,
        canceled: batch.cancelledAtMs !== undefined ? batch.items.length : 0,
        expired: this.expired(batch) ? batch.items.length : 0,
      },
      created_at: iso(batch.createdAtMs),
      expires_at: iso(batch.createdAtMs + 24 * 3600 * 1000),
      ended_at: done ? iso(endedAtMs) : null,
      cancel_initiated_at: batch.cancelledAtMs !== undefined ? iso(batch.cancelledAtMs) : null,
      archived_at: null,
      results_url: done ? `${origin}/v1/messages/batches/${batch.id}/results` : null,
    };
  }

  /** The batch view with an absolute results URL, as the SDK follows it. */
  viewAt(reply: WireReply, origin: string): WireReply {
    const body = reply.body as { id?: string; results_url?: string | null } | null;
    if (reply.statusCode !== 200 || !body?.results_url) return reply;
    return { ...reply, body: { ...body, results_url: `${origin}${body.results_url}` } };
  }
}

/** gRPC codes for the HTTP statuses a Gemini item can fail with. */
const rpcCodeOf: Readonly<Record<number, number>> = { 400: 3, 403: 7, 404: 5, 429: 8, 500: 13, 503: 14 };

/**
 * Batch Mode: POST /v1beta/models/{model}:batchGenerateContent with inline requests or an
 * uploaded JSONL file (Files API, resumable upload), GET /v1beta/batches/{id}, POST …:cancel;
 * a file batch's results are a file (GET /download/v1beta/files/{id}:download?alt=media).
 */
export class GeminiBatches extends TimedBatches {
  private readonly files = new Map<string, { meta: Record<string, unknown>; content: string | null }>();

  /** The resumable upload's start: the file's metadata; answers the id the bytes go to. */
  startUpload(body: unknown): { id: string } {
    const id = `file-${this.nextId()}`;
    const file = (body as { file?: Record<string, unknown> } | null)?.file ?? {};
    this.files.set(id, { meta: { ...file, name: `files/${id}` }, content: null });
    return { id };
  }

  /** The upload's one chunk (`upload, finalize`): the stored File resource. */
  finishUpload(id: string, content: string): WireReply {
    const file = this.files.get(id);
    if (!file) return geminiError(404, `upload ${id} not found`);
    file.content = content;
    const meta = { ...file.meta, sizeBytes: String(Buffer.byteLength(content)), state: 'ACTIVE', createTime: iso(this.options.now()) };
    file.meta = meta;
    return { statusCode: 200, body: { file: meta }, headers: { 'x-goog-upload-status': 'final' } };
  }

  download(id: string): WireReply {
    const content = this.files.get(id)?.content;
    return content == null ? geminiError(404, `File files/${id} not found.`) : { statusCode: 200, body: content, headers: { 'content-type': 'application/octet-stream' } };
  }

  private results(batch: TimedBatch, replies: readonly WireReply[]): string {
    const id = `${batch.id}-results`;
    if (!this.files.has(id)) {
      const lines = replies.map((reply, i) => JSON.stringify({ key: batch.items[i].key, ...this.outcome(reply) }));
      this.files.set(id, { meta: { name: `files/${id}`, mimeType: 'application/jsonl' }, content: `${lines.join('\n')}\n` });
    }
    return `files/${id}`;
  }

  private outcome(reply: WireReply): Record<string, unknown> {
    return reply.statusCode === 200
      ? { response: reply.body }
      : { error: { code: rpcCodeOf[reply.statusCode] ?? 2, message: (reply.body as { error: { message: string } }).error.message } };
  }

  protected answer(batch: TimedBatch, body: unknown): WireReply {
    const request = body as { model?: string } | null;
    const model = (request?.model ?? batch.model ?? '').replace(/^models\//, '');
    return answerGenerateContent(this.options.chatContext(`batch-${this.nextId()}`), model, body);
  }

  create(model: string, body: unknown): WireReply {
    const batch = (body as { batch?: { displayName?: string; inputConfig?: { requests?: { requests?: unknown }; fileName?: string } } } | null)?.batch;
    const fileName = batch?.inputConfig?.fileName;
    const content = fileName ? this.files.get(fileName.replace(/^files\//, ''))?.content : undefined;
    if (fileName && content == null) return geminiError(404, `File ${fileName} not found.`);
    let items: TimedBatch['items'];
    try {
      items = content
        ? content
            .split('\n')
            .filter((line) => line.trim() !== '')
            .map((line, i) => {
              const parsed = JSON.parse(line) as { key?: string; request?: unknown };
              return { key: parsed.key ?? String(i), body: parsed.request };
            })
        : (batch?.inputConfig?.requests?.requests as { request?: unknown; metadata?: { key?: string } }[] | undefined)?.map((r, i) => ({ key: r.metadata?.key ?? String(i), body: r.request })) ?? [];
    } catch {
      return geminiError(400, `File ${fileName} holds a line that is not JSON.`);
    }
    if (items.length === 0) return geminiError(400, "Invalid value at 'batch.input_config': inline requests or a file are required");
    const record: TimedBatch = { id: this.nextId(), createdAtMs: this.options.now(), model, displayName: batch?.displayName, items, fromFile: Boolean(fileName) };
    this.batches.set(record.id, record);
    return { statusCode: 200, body: this.view(record) };
  }

  retrieve(id: string): WireReply {
    const batch = this.batches.get(id);
    return batch ? { statusCode: 200, body: this.view(batch) } : geminiError(404, `Batch batches/${id} not found.`);
  }

  cancel(id: string): WireReply {
    const batch = this.batches.get(id);
    if (!batch) return geminiError(404, `Batch batches/${id} not found.`);
    if (!this.done(batch)) batch.cancelledAtMs = this.options.now();
    return { statusCode: 200, body: {} };
  }

  /** DELETE /v1beta/batches/{id}: the job and the results file it wrote (a running job must be cancelled first). */
  delete(id: string): WireReply {
    const batch = this.batches.get(id);
    if (!batch) return geminiError(404, `Batch batches/${id} not found.`);
    if (!this.done(batch)) return geminiError(400, `Batch batches/${id} is still running; cancel it first.`);
    this.batches.delete(id);
    this.files.delete(`${id}-results`);
    return { statusCode: 200, body: {} };
  }

  private view(batch: TimedBatch): Record<string, unknown> {
    const now = this.options.now();
    const replies = this.replies(batch);
    const state =
      batch.cancelledAtMs !== undefined
        ? 'BATCH_STATE_CANCELLED'
        : this.expired(batch)
          ? 'BATCH_STATE_EXPIRED'
          : replies
          ? 'BATCH_STATE_SUCCEEDED'
          : now - batch.createdAtMs < this.options.turnaroundMs / 10
            ? 'BATCH_STATE_PENDING'
            : 'BATCH_STATE_RUNNING';
    const outcomes = replies?.map((reply) => this.outcome(reply));
    const failed = outcomes?.filter((r) => 'error' in r).length ?? 0;
    const output = !replies
      ? undefined
      : batch.fromFile
        ? { responsesFile: this.results(batch, replies) }
        : { inlinedResponses: { inlinedResponses: outcomes?.map((outcome, i) => ({ ...outcome, metadata: { key: batch.items[i].key } })) } };
    return {
      name: `batches/${batch.id}`,
      metadata: {
        '@type': 'type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch',
        model: `models/${batch.model}`,
        ...(batch.displayName !== undefined ? { displayName: batch.displayName } : {}),
        state,
        createTime: iso(batch.createdAtMs),
        updateTime: iso(now),
        ...(this.done(batch) ? { endTime: iso(this.endedAtMs(batch)) } : {}),
        batchStats: {
          requestCount: String(batch.items.length),
          successfulRequestCount: String((outcomes?.length ?? 0) - failed),
          failedRequestCount: String(failed),
          pendingRequestCount: String(this.done(batch) ? 0 : batch.items.length),
        },
        ...(output ? { output } : {}),
      },
      ...(this.done(batch) ? { done: true, ...(output ? { response: { '@type': 'type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput', ...output } } : {}) } : {}),
    };
  }
}
