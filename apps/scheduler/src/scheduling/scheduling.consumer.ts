import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { declareConsumer, servedByGateway, type EventOf, type SluiceEvent, timeOrderedId, Topics, TopicSpecs } from '@sluice/events';
import { DEFAULT_MAX_BATCH_SIZE, type Subscription } from '@sluice/eventlog';
import { EventStore, SERVICE_RUNTIME, type ServiceRuntime } from '@sluice/platform';
import { BATCH_MAX_ITEMS } from '../planning/plan.planner';
import { cancelObject, decide, dispatchDue, taskOf, type SchedulerInput, type ScheduledObject } from './scheduled-object.decider';
import { DispatchLoop } from './dispatch-loop';
import { CANCEL_ROWS_PER_TRANSACTION, loadCancelledTasks, loadObjects, loadUndispatchedOfTasks, markSweeping, recordCancelledTasks, saveObjects } from './scheduled-object.store';

/** The log's default batch from every partition of the objects topic. */
const SUBMISSIONS_PER_TRANSACTION = DEFAULT_MAX_BATCH_SIZE * (TopicSpecs.find((t) => t.name === Topics.objects)?.partitions ?? 1);

export const SCHEDULING_CONSUMER = declareConsumer({
  name: 'scheduler-scheduling',
  description: "Plans an object once its funds are reserved, retries or closes it after an attempt, ends a cancelled task's undispatched objects; skips the gateway's objects.",
  handles: ['ObjectSubmitted', 'FundsReserved', 'FundsDenied', 'ObjectFailed', 'QuoteRejected', 'ObjectCompleted', 'TaskCancelRequested'],
});
type Handled = EventOf<(typeof SCHEDULING_CONSUMER.handles)[number]>;
const isInput = (e: Handled): e is SchedulerInput => e.type !== 'TaskCancelRequested' && !servedByGateway(e);
type Cancellation = EventOf<'TaskCancelRequested'>;
const isCancellation = (e: Handled): e is Cancellation => e.type === 'TaskCancelRequested';

/** Planned to run live now: dispatched in the planning transaction rather than by the next dispatch pass. */
const isLiveAndDue = (o: ScheduledObject, now: Date) =>
  o.status === 'scheduled' && o.mode === 'live' && o.dueAt !== null && o.dueAt.getTime() <= now.getTime();

/** Whether the produced events leave scheduled work for the dispatch loop (a later or batched run). */
export function leavesWorkForDispatchLoop(produced: readonly SluiceEvent[]): boolean {
  const dispatched = new Set(produced.flatMap((e) => (e.type === 'ObjectDispatched' ? [e.payload.objectId] : [])));
  return produced.some((e) => e.type === 'ObjectScheduled' && !dispatched.has(e.payload.objectId));
}

/**
 * Remembers objects, plans them once funds are reserved, retries failures, closes finished ones;
 * ends the objects of a cancelled task that have not started. A cancellation and its task's
 * objects are applied by this one consumer, and every plan and dispatch reads the cancelled tasks
 * in its own transaction, so an object submitted after its task's cancellation never starts.
 */
@Injectable()
export class SchedulingConsumer implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('SchedulingConsumer');
  private subscription?: Subscription;

  constructor(
    private readonly store: EventStore,
    @Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime,
    private readonly dispatchLoop: DispatchLoop,
  ) {}

  async onModuleInit(): Promise<void> {
    this.subscription = await this.store.consume({
      consumer: SCHEDULING_CONSUMER,
      // The objects the real-time gateway served are not the scheduler's to plan.
      accepts: (e) => isInput(e) || isCancellation(e),
      // An object is planned once both its ObjectSubmitted and its FundsReserved are in. Billing
      // events are keyed by account, so one account's reservations come through one partition
      // while its submissions spread over every partition of the objects topic, and each
      // transaction takes one batch per partition: a billing batch as large as all the objects
      // batches together keeps planning at the pace of a large file's submissions.
      maxBatchSizeByTopic: { [Topics.billing]: SUBMISSIONS_PER_TRANSACTION },
      handle: (tx, events) => this.apply(tx, events),
      // Work due now was dispatched in the same transaction; the loop is woken for what is left.
      // A cancellation may leave the rest of its task's objects to the loop's sweep.
      afterCommit: (applied, produced) => {
        if (leavesWorkForDispatchLoop(produced) || applied.some(isCancellation)) this.dispatchLoop.notify();
      },
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.stop().catch((err: Error) => this.logger.warn(`stop: ${err.message}`));
  }

  private async apply(tx: Parameters<typeof loadObjects>[0], events: Handled[]): Promise<SluiceEvent[]> {
    const inputs = events.filter(isInput);
    const cancellations = events.filter(isCancellation);
    if (inputs.length === 0 && cancellations.length === 0) return [];
    await recordCancelledTasks(tx, cancellations.map((e) => ({ taskId: e.payload.taskId, accountId: e.payload.accountId, cancelledAt: e.occurredAt })));
    const objects = await loadObjects(tx, [...new Set(inputs.map((e) => e.payload.objectId))]);
    const taskIds = [...objects.values()].map(taskOf).concat(inputs.flatMap((e) => (e.type === 'ObjectSubmitted' ? [e.correlationId] : [])));
    const cancelledTasks = await loadCancelledTasks(tx, [...new Set(taskIds)]);
    const changed = new Map<string, ScheduledObject>();
    const produced: SluiceEvent[] = [];
    // One instant per batch: plans and the events that announce them agree on "now".
    const now = this.runtime.clock.now();
    const ctx = { catalogue: this.runtime.catalogue, now, deps: { now: () => now, newId: timeOrderedId }, cancelledTasks };
    const cancelledTaskIds = cancellations.map((e) => e.payload.taskId);
    const cancelled = await loadUndispatchedOfTasks(tx, cancelledTaskIds, CANCEL_ROWS_PER_TRANSACTION);
    if (cancelled.length >= CANCEL_ROWS_PER_TRANSACTION) await markSweeping(tx, cancelledTaskIds);
    for (const row of cancelled) {
      const decision = cancelObject(objects.get(row.objectId) ?? row, ctx);
      if (decision.state) {
        objects.set(decision.state.objectId, decision.state);
        changed.set(decision.state.objectId, decision.state);
      }
      produced.push(...decision.events);
    }
    for (const event of inputs) {
      const decision = decide(objects.get(event.payload.objectId) ?? null, event, ctx);
      if (decision.state) {
        objects.set(decision.state.objectId, decision.state);
        changed.set(decision.state.objectId, decision.state);
      }
      produced.push(...decision.events);
    }
    // The same pure step the dispatch loop runs, for what is live and due already: one hop less.
    const due = dispatchDue([...changed.values()].filter((o) => isLiveAndDue(o, now)), ctx, BATCH_MAX_ITEMS);
    for (const state of due.states) changed.set(state.objectId, state);
    produced.push(...due.events);
    await saveObjects(tx, [...changed.values()]);
    return produced;
  }
}
