import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Topics, servedByGateway, type SluiceEvent } from '@sluice/events';
import type { Subscription } from '@sluice/eventlog';
import { EventStore, SERVICE_RUNTIME, type ServiceRuntime } from '@sluice/platform';
import { BATCH_MAX_ITEMS } from '../planning/plan.planner';
import { decide, dispatchDue, type SchedulerInput, type ScheduledObject } from './scheduled-object.decider';
import { DispatchLoop } from './dispatch-loop';
import { loadObjects, saveObjects } from './scheduled-object.store';

const INPUT_TYPES = new Set<SluiceEvent['type']>(['ObjectSubmitted', 'FundsReserved', 'FundsDenied', 'ObjectFailed', 'QuoteRejected', 'ObjectCompleted']);
const isInput = (e: SluiceEvent): e is SchedulerInput => INPUT_TYPES.has(e.type) && !servedByGateway(e);

/** Planned to run live now: dispatched in the planning transaction rather than by the next dispatch pass. */
const isLiveAndDue = (o: ScheduledObject, now: Date) =>
  o.status === 'scheduled' && o.mode === 'live' && o.dueAt !== null && o.dueAt.getTime() <= now.getTime();

/** Whether the produced events leave scheduled work for the dispatch loop (a later or batched run). */
export function leavesWorkForDispatchLoop(produced: readonly SluiceEvent[]): boolean {
  const dispatched = new Set(produced.flatMap((e) => (e.type === 'ObjectDispatched' ? [e.payload.objectId] : [])));
  return produced.some((e) => e.type === 'ObjectScheduled' && !dispatched.has(e.payload.objectId));
}

/** Remembers objects, plans them once funds are reserved, retries failures, closes finished ones. */
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
      consumer: 'scheduler-scheduling',
      topics: [Topics.objects, Topics.billing],
      accepts: isInput,
      handle: (tx, events) => this.apply(tx, events),
      // Work due now was dispatched in the same transaction; the loop is woken for what is left.
      afterCommit: (_applied, produced) => {
        if (leavesWorkForDispatchLoop(produced)) this.dispatchLoop.notify();
      },
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.stop().catch((err: Error) => this.logger.warn(`stop: ${err.message}`));
  }

  private async apply(tx: Parameters<typeof loadObjects>[0], events: SluiceEvent[]): Promise<SluiceEvent[]> {
    const inputs = events.filter(isInput);
    if (inputs.length === 0) return [];
    const objects = await loadObjects(tx, [...new Set(inputs.map((e) => e.payload.objectId))]);
    const changed = new Map<string, ScheduledObject>();
    const produced: SluiceEvent[] = [];
    // One instant per batch: plans and the events that announce them agree on "now".
    const now = this.runtime.clock.now();
    const ctx = { catalogue: this.runtime.catalogue, now, deps: { now: () => now, newId: randomUUID } };
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
