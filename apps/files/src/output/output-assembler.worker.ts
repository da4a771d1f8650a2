import { Inject, Injectable } from '@nestjs/common';
import { outputLine } from '@sluice/batch-formats';
import { createEvent, TaskOutputReady } from '@sluice/events';
import type { RawSqlClient } from '@sluice/persistence';
import { BackgroundWorker, EventStore, SERVICE_RUNTIME, SQL, type ServiceRuntime } from '@sluice/platform';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { stableUuid } from '../expansion/stable-id';
import { markOutputWritten, outputPage, readyOutputTasks, type OutputRow, type ReadyOutputTask } from './output.repository';

const PAGE_ROWS = 5_000;
const IDLE_MS = 1_000;

/** The output file's id: one per task, the same on a retry (a crash mid-write rewrites the same blob). */
export const outputFileIdOf = (taskId: string) => stableUuid(taskId, 'output');
export const outputBlobKey = (accountId: string, fileId: string) => `outputs/${accountId}/${fileId}.jsonl`;

function lineOf(row: OutputRow): string {
  return row.status === 'completed'
    ? outputLine(row.item_key, { text: row.output_text ?? '' })
    : outputLine(row.item_key, { error: { code: row.error_code ?? 'failed', message: row.error_message ?? '' } });
}

/**
 * Writes a finished task's results as JSONL, in input order, streamed page by page from the
 * database into the blob store; then records the file and announces TaskOutputReady in one
 * transaction (outbox). The API answers `output_url` from that event.
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
    const fileId = outputFileIdOf(task.taskId);
    const blobKey = outputBlobKey(task.accountId, fileId);
    let lines = 0;
    const db = this.db;
    async function* content() {
      let after = -1;
      for (;;) {
        const rows = await outputPage(db, task.taskId, after, PAGE_ROWS);
        if (rows.length === 0) return;
        lines += rows.length;
        after = Number(rows[rows.length - 1].item_index);
        yield Buffer.from(rows.map(lineOf).join(''));
      }
    }
    const stored = await this.runtime.blobs.put(blobKey, Readable.from(content()), { contentType: 'application/jsonl' });
    await this.store.transact(async (tx) => {
      const first = await markOutputWritten(tx, task.taskId, fileId);
      const ready = createEvent(
        TaskOutputReady,
        { fileId, taskId: task.taskId, accountId: task.accountId, fileName: `${task.taskId}.jsonl`, blobKey, lines, bytes: stored.bytes, sha256: stored.sha256 },
        { correlationId: task.taskId },
        { now: () => this.runtime.clock.now(), newId: randomUUID },
      );
      return { result: undefined, events: first ? [ready] : [] };
    });
  }
}
