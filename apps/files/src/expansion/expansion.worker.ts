import { Inject, Injectable } from '@nestjs/common';
import { parseReadLine, readLines, type LineFormat } from '@sluice/batch-formats';
import { Slices } from '@sluice/catalogue';
import { createEvent, FileExpanded, Topics, timeOrderedId } from '@sluice/events';
import type { RawSqlClient } from '@sluice/persistence';
import { admissionPriority, BackgroundWorker, EventStore, SERVICE_RUNTIME, SQL, type ServiceRuntime } from '@sluice/platform';
import { priceFactor } from '@sluice/pricing';
import { recordObjectRoots } from '@sluice/telemetry';
import { LineExpander, type LineEvent } from './expand-line.decider';
import { markExpanded, pendingExpansions, saveCheckpoint, type Checkpoint, type PendingExpansion } from './expansion.repository';

/** Lines published per chunk; the checkpoint moves after each chunk is on the log. */
export const EXPANSION_CHUNK_LINES = 2_000;
const IDLE_MS = 500;

/**
 * Expands file tasks into objects by streaming the file from the blob store: each chunk of
 * lines becomes ObjectSubmitted / ObjectRejected events published straight to the log, then
 * the checkpoint (byte offset, line, index) is saved. A crash between the two republishes the
 * chunk with the same ids (see LineExpander), which every consumer drops as already seen; so
 * nothing is lost or invented without writing a million outbox rows. Memory stays flat: one
 * chunk at a time.
 */
@Injectable()
export class ExpansionWorker extends BackgroundWorker {

  constructor(
    private readonly store: EventStore,
    @Inject(SQL) private readonly db: RawSqlClient,
    @Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime,
  ) {
    super('FileExpansion', IDLE_MS);
  }

  protected async round(isRunning: () => boolean): Promise<void> {
    for (const job of await pendingExpansions(this.db, 10)) {
      if (!isRunning()) return;
      // A file task is admitted once its lines are objects: as for a submission's body, this
      // process's consumers wait meanwhile (at most AdmissionPriority's bound at a time), so
      // the lines reach the log at the expansion's own pace rather than one chunk per
      // consumer transaction, and are worked through afterwards.
      const admitted = admissionPriority.enter();
      try {
        await this.expand(job, isRunning);
      } finally {
        admitted();
      }
    }
  }

  private async expand(job: PendingExpansion, isRunning: () => boolean): Promise<void> {
    const expander = new LineExpander(
      { taskId: job.taskId, accountId: job.accountId, totalItems: job.totalItems, slaMinutes: job.slaMinutes, collectOutput: job.collectOutput, submittedAt: job.submittedAt },
      { catalogue: this.runtime.catalogue, priceFactor, now: () => this.runtime.clock.now() },
    );
    const format: LineFormat = job.format === 'openai' ? 'openai' : 'sluice';
    const at: Checkpoint = { nextOffset: job.nextOffset, nextLineNo: job.nextLineNo, nextIndex: job.nextIndex, submitted: job.submitted, rejected: job.rejected };
    const source = await this.runtime.blobs.get(job.blobKey, job.nextOffset > 0 ? { start: job.nextOffset } : undefined);
    let chunk: LineEvent[] = [];
    const flush = async () => {
      if (chunk.length === 0) return;
      await this.runtime.bus.publish(Topics.objects, chunk);
      // Each line's trace is derived from its object id; its root is exported once the line is an object.
      recordObjectRoots(chunk.map((e) => e.payload.objectId), { 'sluice.task.id': job.taskId, 'sluice.file.id': job.fileId });
      await saveCheckpoint(this.db, job.taskId, at);
      chunk = [];
    };
    try {
      // A line may hold megabytes: counted in slices, so the service's loop keeps its turns.
      const slices = new Slices();
      for await (const line of readLines(source, { startLineNo: job.nextLineNo, startOffset: job.nextOffset })) {
        const parsed = parseReadLine(line, format);
        const event = expander.expand(parsed, at.nextIndex, await expander.countInput(parsed, slices));
        chunk.push(event);
        if (event.type === 'ObjectSubmitted') at.submitted += 1;
        else at.rejected += 1;
        at.nextIndex += 1;
        at.nextLineNo = line.lineNo + 1;
        at.nextOffset = line.endOffset;
        if (chunk.length >= EXPANSION_CHUNK_LINES) {
          await flush();
          if (!isRunning()) return;
        }
      }
      await flush();
    } finally {
      source.destroy();
    }
    await this.store.transact(async (tx) => {
      const first = await markExpanded(tx, job.taskId);
      const done = createEvent(
        FileExpanded,
        { fileId: job.fileId, taskId: job.taskId, accountId: job.accountId, submitted: at.submitted, rejected: at.rejected },
        { correlationId: job.taskId },
        { now: () => this.runtime.clock.now(), newId: timeOrderedId },
      );
      return { result: undefined, events: first ? [done] : [] };
    });
    this.logger.log(`task ${job.taskId}: ${at.submitted} objects submitted, ${at.rejected} lines rejected from file ${job.fileId}`);
  }
}
