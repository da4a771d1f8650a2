import { Inject, Injectable } from '@nestjs/common';
import { createEvent, TaskCancelRequested, timeOrderedId } from '@sluice/events';
import type { RawSqlClient } from '@sluice/persistence';
import { EventStore, SERVICE_RUNTIME, SQL, type ServiceRuntime } from '@sluice/platform';
import { NotFoundError, RequestError, ValidationError } from '../errors/api-error';
import { findFile } from '../files/file-view.store';
import { submitFileTask } from '../infer/submit-task.decider';
import { defaultEndpointOf } from '../webhooks/webhook.store';
import { recordSubmittedTask } from '../read-models/read-model.store';
import { batchRowOf } from './openai-batch.projection';
import { findBatch, inputFileItems, listBatches, loadProgress, markCancelling, saveBatches } from './openai-batch.store';
import { batchObject, listObject, type BatchObject, type BatchRow } from './openai-batch.view';
import { completionWindowMinutes, type CreateBatchRequest } from './openai-request';

const ENDED = new Set(['completed', 'failed', 'expired', 'cancelled']);

/**
 * OpenAI's Batch API over Sluice's file tasks: a batch is the task `POST /v0/infer/` makes of
 * `[{file_id, sla}]`, with OpenAI's output and error files; its object is assembled from the
 * batch row and the task, object and file read models.
 */
@Injectable()
export class OpenAiBatchesService {
  constructor(
    private readonly eventStore: EventStore,
    @Inject(SQL) private readonly sql: RawSqlClient,
    @Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime,
  ) {}

  async create(accountId: string, request: CreateBatchRequest): Promise<BatchObject> {
    const file = await findFile(this.sql, request.input_file_id);
    if (file && file.accountId === accountId && file.purpose === 'input' && file.format !== 'openai') {
      throw new ValidationError([
        { field: 'input_file_id', message: `file ${file.fileId} is not in the OpenAI batch format: one {"custom_id", "method", "url", "body"} request per line` },
      ]);
    }
    const sla = completionWindowMinutes(request.completion_window) as number;
    const submitted = submitFileTask({ file_id: request.input_file_id, sla }, file, {
      catalogue: this.runtime.catalogue,
      accountId,
      outputFormat: 'jsonl',
      deps: { now: () => this.runtime.clock.now(), newId: timeOrderedId },
      openaiBatch: { endpoint: request.endpoint, completionWindow: request.completion_window, metadata: request.metadata ?? null },
      callbackUrl: await defaultEndpointOf(this.sql, accountId),
    });
    const row = batchRowOf(submitted) as BatchRow;
    // The batch and its task are readable as soon as this answers (the projection writes the same rows).
    await this.eventStore.transact(async (tx) => {
      await recordSubmittedTask(tx, submitted);
      await saveBatches(tx, [row]);
      return { result: undefined, events: [submitted] };
    });
    return this.view(row);
  }

  async batch(accountId: string, batchId: string): Promise<BatchObject> {
    return this.view(await this.own(accountId, batchId));
  }

  async list(accountId: string, after: string | undefined, limit: number) {
    if (after) await this.own(accountId, after);
    const rows = await listBatches(this.sql, accountId, after, limit + 1);
    const page = rows.slice(0, limit);
    return listObject(await this.views(page), rows.length > limit);
  }

  /**
   * Cancels a batch that has not ended: its lines not started end unrun and their funds go back
   * (the scheduler, on TaskCancelRequested); what ran is kept and charged. Cancelling twice is
   * the same as once.
   */
  async cancel(accountId: string, batchId: string): Promise<BatchObject> {
    const row = await this.own(accountId, batchId);
    const current = await this.view(row);
    if (ENDED.has(current.status)) throw new RequestError(409, 'batch_not_cancellable', `batch ${batchId} is ${current.status}: only a batch that has not ended can be cancelled`);
    const now = this.runtime.clock.now();
    await this.eventStore.transact(async (tx) => {
      const first = await markCancelling(tx, batchId, now.toISOString());
      const event = createEvent(TaskCancelRequested, { taskId: batchId, accountId }, { correlationId: batchId }, { now: () => now, newId: timeOrderedId });
      return { result: undefined, events: first ? [event] : [] };
    });
    return this.batch(accountId, batchId);
  }

  private async own(accountId: string, batchId: string): Promise<BatchRow> {
    const row = await findBatch(this.sql, batchId);
    if (!row || row.accountId !== accountId) throw new NotFoundError('batch', batchId);
    return row;
  }

  private async view(row: BatchRow): Promise<BatchObject> {
    return (await this.views([row]))[0];
  }

  private async views(rows: readonly BatchRow[]): Promise<BatchObject[]> {
    const items = await inputFileItems(this.sql, rows.map((r) => r.inputFileId));
    const progress = await loadProgress(this.sql, rows, items);
    return rows.map((row) => {
      const p = progress.get(row.batchId);
      if (!p) throw new Error(`no progress loaded for batch ${row.batchId}`);
      return batchObject(row, p);
    });
  }
}
