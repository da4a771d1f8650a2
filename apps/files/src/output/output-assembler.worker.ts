import { Inject, Injectable } from '@nestjs/common';
import { openAiBatchLine, outputLine } from '@sluice/batch-formats';
import { createEvent, TaskOutputReady, timeOrderedId } from '@sluice/events';
import type { RawSqlClient } from '@sluice/persistence';
import { BackgroundWorker, EventStore, SERVICE_RUNTIME, SQL, type ServiceRuntime } from '@sluice/platform';
import { Readable } from 'node:stream';
import { stableUuid } from '../expansion/stable-id';
import { countFailedItems, markOutputWritten, outputPage, readyOutputTasks, type OutputRow, type OutputSelection, type ReadyOutputTask } from './output.repository';

const PAGE_ROWS = 5_000;
const IDLE_MS = 1_000;

/** The output file's id: one per task, the same on a retry (a crash mid-write rewrites the same blob). */
export const outputFileIdOf = (taskId: string) => stableUuid(taskId, 'output');
/** An OpenAI batch's error file (its failed lines), stable as the output file's. */
export const errorFileIdOf = (taskId: string) => stableUuid(taskId, 'errors');
export const outputBlobKey = (accountId: string, fileId: string) => `outputs/${accountId}/${fileId}.jsonl`;

function lineOf(row: OutputRow): string {
  return row.status === 'completed'
    ? outputLine(row.item_key, { text: row.output_text ?? '' })
    : outputLine(row.item_key, { error: { code: row.error_code ?? 'failed', message: row.error_message ?? '' } });
}

const unixSeconds = (at: Date | string | null) => (at === null ? 0 : Math.floor(new Date(at).getTime() / 1000));

/** A line of an OpenAI batch's output or error file (see openAiBatchLine). */
export function openAiLineOf(row: OutputRow): string {
  if (row.status !== 'completed') {
    return openAiBatchLine(row.object_id, row.item_key, { error: { code: row.error_code ?? 'failed', message: row.error_message ?? '' } });
  }
  const outputTokens = row.output_tokens ?? 0;
  return openAiBatchLine(row.object_id, row.item_key, {
    completed: {
      model: row.model ?? '',
      text: row.output_text ?? '',
      inputTokens: row.input_tokens ?? 0,
      outputTokens,
      // The provider's own reason is not kept; an answer that used its whole budget was cut there.
      finishReason: row.max_output_tokens !== null && outputTokens >= row.max_output_tokens ? 'length' : 'stop',
      created: unixSeconds(row.finished_at),
    },
  });
}

interface StoredOutput {
  fileId: string;
  fileName: string;
  blobKey: string;
  lines: number;
  bytes: number;
  sha256: string;
}

/**
 * Writes a finished task's results as JSONL, in input order, streamed page by page from the
 * database into the blob store; then records the file and announces TaskOutputReady in one
 * transaction (outbox). The API answers `output_url` from that event. An OpenAI batch gets
 * OpenAI's two files instead: its successes and, when some failed, its failures.
 */
@Injectable()
export class OutputAssembler extends BackgroundWorker {
  constructor(
    private readonly store: EventStore,
    @Inject(SQL) private readonly db: RawSqlClient,
    @Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime,
  ) {
    super('OutputAssembler', IDLE_MS);
  }

  protected async round(): Promise<void> {
    for (const task of await readyOutputTasks(this.db, 10)) await this.assemble(task);
  }

  private async assemble(task: ReadyOutputTask): Promise<void> {
    const output = task.openaiBatch
      ? await this.write(task, outputFileIdOf(task.taskId), 'completed', openAiLineOf, `${task.taskId}_output.jsonl`)
      : await this.write(task, outputFileIdOf(task.taskId), 'all', lineOf, `${task.taskId}.jsonl`);
    const errorFile =
      task.openaiBatch && (await countFailedItems(this.db, task.taskId)) > 0
        ? await this.write(task, errorFileIdOf(task.taskId), 'failed', openAiLineOf, `${task.taskId}_errors.jsonl`)
        : undefined;
    await this.store.transact(async (tx) => {
      const first = await markOutputWritten(tx, task.taskId, output.fileId);
      const ready = createEvent(
        TaskOutputReady,
        { ...output, taskId: task.taskId, accountId: task.accountId, ...(errorFile ? { errorFile } : {}) },
        { correlationId: task.taskId },
        { now: () => this.runtime.clock.now(), newId: timeOrderedId },
      );
      return { result: undefined, events: first ? [ready] : [] };
    });
  }

  private async write(task: ReadyOutputTask, fileId: string, selection: OutputSelection, format: (row: OutputRow) => string, fileName: string): Promise<StoredOutput> {
    const blobKey = outputBlobKey(task.accountId, fileId);
    let lines = 0;
    const db = this.db;
    async function* content() {
      let after = -1;
      for (;;) {
        const rows = await outputPage(db, task.taskId, after, PAGE_ROWS, selection);
        if (rows.length === 0) return;
        lines += rows.length;
        after = Number(rows[rows.length - 1].item_index);
        yield Buffer.from(rows.map(format).join(''));
      }
    }
    const stored = await this.runtime.blobs.put(blobKey, Readable.from(content()), { contentType: 'application/jsonl' });
    return { fileId, fileName, blobKey, lines, bytes: stored.bytes, sha256: stored.sha256 };
  }
}
