import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { declareConsumer, type EventOf, type SluiceEvent } from '@sluice/events';
import { BatchCoalescer, type Subscription } from '@sluice/eventlog';
import type { RawSqlClient, TransactionalClient } from '@sluice/persistence';
import { EventStore, SERVICE_RUNTIME, SQL, TRANSACTION_OPTIONS, type ServiceRuntime } from '@sluice/platform';
import { recordExpansion, recordStoredFile } from '../expansion/expansion.repository';
import { ExpansionWorker } from '../expansion/expansion.worker';
import { collectOutputs, collectResults } from '../output/output-collector';
import { recordOutputTask } from '../output/output.repository';
import { OutputAssembler } from '../output/output-assembler.worker';

export const FILES_REGISTRY_CONSUMER = declareConsumer({ name: 'files-registry', handles: ['FileStored'], description: 'Records each uploaded file for the expansion worker.' });
export const FILES_TASKS_CONSUMER = declareConsumer({
  name: 'files-tasks',
  handles: ['TaskSubmitted'],
  description: 'Records the tasks over a file (to expand) or wanting a JSONL output (to assemble); skips the others.',
});
export const FILES_OUTPUTS_CONSUMER = declareConsumer({
  name: 'files-outputs',
  description: "Keeps the items and results of tasks that want a JSONL file (idempotent by itself, no processed ids); skips the gateway's objects.",
  handles: ['ObjectSubmitted', 'ObjectRejected', 'ObjectCompleted', 'ObjectAbandoned'],
});

/** Object events of all partitions in one output transaction, at most (each partition hands over 2,000). */
const OUTPUT_BATCH_MAX_EVENTS = 24_000;

async function recordFiles(tx: RawSqlClient, events: readonly SluiceEvent[]): Promise<SluiceEvent[]> {
  for (const e of events) {
    if (e.type !== 'FileStored') continue;
    const p = e.payload;
    await recordStoredFile(tx, { fileId: p.fileId, accountId: p.accountId, fileName: p.fileName, blobKey: p.blobKey, bytes: p.bytes, items: p.items, format: p.format, storedAt: new Date(e.occurredAt) });
  }
  return [];
}

const concernsFiles = (e: EventOf<'TaskSubmitted'>) => e.payload.fileId != null || e.payload.outputFormat === 'jsonl';

async function recordTasks(tx: RawSqlClient, events: readonly SluiceEvent[]): Promise<SluiceEvent[]> {
  for (const e of events) {
    if (e.type !== 'TaskSubmitted') continue;
    const p = e.payload;
    const collectOutput = p.outputFormat === 'jsonl';
    if (p.fileId) {
      await recordExpansion(tx, { taskId: p.taskId, fileId: p.fileId, accountId: p.accountId, slaMinutes: p.slaMinutes ?? null, collectOutput, totalItems: p.totalItems, submittedAt: new Date(e.occurredAt) });
    }
    if (collectOutput) await recordOutputTask(tx, p.taskId, p.accountId, p.totalItems, p.openaiBatch !== undefined);
  }
  return [];
}

/**
 * The files service's consumers: uploads (files topic) and tasks over files or wanting a
 * JSONL output (tasks topic) become rows the workers act on; object results of those tasks
 * (objects topic) are kept for the output file.
 */
@Injectable()
export class FilesConsumers implements OnModuleInit, OnApplicationShutdown {
  private readonly subscriptions: Subscription[] = [];

  constructor(
    private readonly store: EventStore,
    private readonly expansion: ExpansionWorker,
    private readonly assembler: OutputAssembler,
    @Inject(SQL) private readonly db: TransactionalClient,
    @Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime,
  ) {}

  async onModuleInit(): Promise<void> {
    // The partitions' batches that arrive while one waits for its turn share the next one: one
    // transaction on the background lane, not one per partition.
    const outputs = new BatchCoalescer<SluiceEvent>(async (events) => {
      // Most objects want no file: their submissions collect nothing, and then no transaction
      // runs; an end runs one (its item may exist), and the assembler looks for due files only
      // when an item became final.
      const collected = collectResults(events);
      if (collected.items.length === 0 && collected.finals.length === 0) return;
      // No reader waits on it: it takes its turn on the background lane, after the read models.
      const becameFinal = await this.store.inBackground(() => this.db.$transaction((tx) => collectOutputs(tx, collected), TRANSACTION_OPTIONS));
      if (becameFinal > 0) this.assembler.wake();
    }, { maxItems: OUTPUT_BATCH_MAX_EVENTS });
    this.subscriptions.push(
      await this.store.consume({
        consumer: FILES_REGISTRY_CONSUMER,
        handle: recordFiles,
        afterCommit: () => this.expansion.wake(),
      }),
      // Only tasks over a file or wanting a JSONL file concern this service; the others (every
      // real-time request is a task) open no transaction and wake no worker.
      await this.store.consume({ consumer: FILES_TASKS_CONSUMER, accepts: concernsFiles, handle: recordTasks, afterCommit: () => (this.expansion.wake(), this.assembler.wake()) }),
      // Idempotent by itself (inserts skip known objects, an end applies only to a pending item and
      // only a changed row counts), so it needs no processed-ids bookkeeping for every object event.
      await this.runtime.bus.subscribe({
        consumer: FILES_OUTPUTS_CONSUMER,
        fromBeginning: true,
        maxBatchSize: 2_000,
        handle: (events) => outputs.submit(events),
      }),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.subscriptions.map((s) => s.stop()));
  }
}
