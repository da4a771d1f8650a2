import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { createEvent, declareConsumer, TaskCompleted, type SluiceEvent, timeOrderedId } from '@sluice/events';
import type { Subscription } from '@sluice/eventlog';
import type { RawSqlClient } from '@sluice/persistence';
import { EventStore, SERVICE_RUNTIME, SQL, type ServiceRuntime } from '@sluice/platform';
import { countObjectsWith, logger, objectTraceparent, traceFields } from '@sluice/telemetry';
import { FinishedObjectsNotifier, possiblyFinishedObjectIds } from './finished-objects.notifier';
import type { ObjectRow } from './object.projection';
import { objectStatusCounts, projectEvents } from './read-model.store';
import type { TaskRow } from './task.projection';

export const READ_MODELS_CONSUMER = declareConsumer({
  name: 'api-read-models',
  description: "Projects the task, object, balance, file and OpenAI batch views behind the GETs; produces TaskCompleted when a task's last item is final.",
  handles: [
    'TaskSubmitted',
    'TaskCancelRequested',
    'TaskCompleted',
    'ObjectSubmitted',
    'ObjectRejected',
    'ObjectScheduled',
    'ObjectDispatched',
    'BatchDispatched',
    'QuoteAccepted',
    'QuoteRejected',
    'ObjectCompleted',
    'ObjectFailed',
    'ObjectAbandoned',
    'FundsReserved',
    'FundsDenied',
    'FundsReleased',
    'Charged',
    'WalletCredited',
    'FileStored',
    'FileDeleted',
    'FileExpanded',
    'TaskOutputReady',
  ],
});

const log = logger('read-models', 'api');

/** SLA misses an operator must see: one line when an object with a deadline ends after it. */
export function logSlaMisses(applied: readonly SluiceEvent[], rows: ReadonlyMap<string, ObjectRow>): void {
  for (const event of applied) {
    if (event.type !== 'ObjectCompleted' && event.type !== 'ObjectAbandoned') continue;
    const row = rows.get(event.payload.objectId);
    if (!row?.slaMissed) continue;
    log.info(
      { ...traceFields(event.traceparent ?? objectTraceparent(row.objectId)), objectId: row.objectId, taskId: row.taskId, accountId: row.accountId, status: row.status, deadlineAt: row.deadlineAt, finishedAt: row.finishedAt, providerId: row.providerId },
      'SLA missed',
    );
  }
}

export function taskCompletedEvents(tasks: readonly TaskRow[], now: () => Date): SluiceEvent[] {
  return tasks.map((task) =>
    createEvent(
      TaskCompleted,
      { taskId: task.taskId, accountId: task.accountId, completedItems: task.completedItems, failedItems: task.failedItems },
      { correlationId: task.taskId },
      { now, newId: timeOrderedId },
    ),
  );
}

/**
 * Projects task, object and billing events into the task, object and balance read models,
 * one transaction per consumed batch (rows and processed ids together), and produces
 * TaskCompleted when a task's last item becomes final.
 */
@Injectable()
export class ReadModelsConsumer implements OnModuleInit, OnApplicationShutdown {
  private subscription?: Subscription;
  private stopCounting?: () => void;

  constructor(
    private readonly eventStore: EventStore<RawSqlClient>,
    private readonly notifier: FinishedObjectsNotifier,
    @Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime,
    @Inject(SQL) private readonly sql: RawSqlClient,
  ) {}

  async onModuleInit(): Promise<void> {
    // The object gauges of /metrics, read at scrape time from the counts the projection keeps
    // (counting object_view itself took the API's database for a scan of every object ever seen).
    this.stopCounting = countObjectsWith(() => objectStatusCounts(this.sql));
    // The rows of the transaction being applied (the event store applies one at a time), handed
    // to waiting requests once it committed so they answer without reading them back.
    let projected: ReadonlyMap<string, ObjectRow> = new Map();
    this.subscription = await this.eventStore.consume({
      consumer: READ_MODELS_CONSUMER,
      maxBatchSize: 2_000,
      foreground: true,
      handle: async (tx, events) => {
        const { completedTasks, changedObjects } = await projectEvents(tx, events);
        projected = new Map(changedObjects.map((row) => [row.objectId, row]));
        return taskCompletedEvents(completedTasks, () => this.runtime.clock.now());
      },
      afterCommit: (applied) => {
        const rows = projected;
        projected = new Map();
        this.notifier.notify(possiblyFinishedObjectIds(applied), rows);
        logSlaMisses(applied, rows);
      },
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopCounting?.();
    await this.subscription?.stop();
  }
}
