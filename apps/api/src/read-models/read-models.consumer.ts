import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { createEvent, TaskCompleted, Topics, type SluiceEvent, type TopicName } from '@sluice/events';
import type { Subscription } from '@sluice/eventlog';
import type { RawSqlClient } from '@sluice/persistence';
import { EventStore, SERVICE_RUNTIME, type ServiceRuntime } from '@sluice/platform';
import { FinishedObjectsNotifier, possiblyFinishedObjectIds } from './finished-objects.notifier';
import type { ObjectRow } from './object.projection';
import { projectEvents } from './read-model.store';
import type { TaskRow } from './task.projection';

export const READ_MODELS_CONSUMER = 'api-read-models';
export const READ_MODEL_TOPICS: TopicName[] = [Topics.tasks, Topics.objects, Topics.billing, Topics.files];

export function taskCompletedEvents(tasks: readonly TaskRow[], now: () => Date): SluiceEvent[] {
  return tasks.map((task) =>
    createEvent(
      TaskCompleted,
      { taskId: task.taskId, accountId: task.accountId, completedItems: task.completedItems, failedItems: task.failedItems },
      { correlationId: task.taskId },
      { now, newId: randomUUID },
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

  constructor(
    private readonly eventStore: EventStore<RawSqlClient>,
    private readonly notifier: FinishedObjectsNotifier,
    @Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime,
  ) {}

  async onModuleInit(): Promise<void> {
    // The rows of the transaction being applied (the event store applies one at a time), handed
    // to waiting requests once it committed so they answer without reading them back.
    let projected: ReadonlyMap<string, ObjectRow> = new Map();
    this.subscription = await this.eventStore.consume({
      consumer: READ_MODELS_CONSUMER,
      topics: READ_MODEL_TOPICS,
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
      },
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.stop();
  }
}
