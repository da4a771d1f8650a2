import type { SluiceEvent, TopicName } from '@sluice/events';
import type { EventBus, EventSubscribeOptions, Subscription } from '@sluice/eventlog';
import { appendToOutbox, applyOnce, type OutboxRelay, type RawSqlClient, type TransactionalClient } from '@sluice/persistence';

export interface ConsumeOptions<Tx extends RawSqlClient> {
  /** The consumer's name: its group on the log and its key in `processed_event`. */
  consumer: string;
  topics: TopicName[];
  fromBeginning?: boolean;
  maxBatchSize?: number;
  retry?: EventSubscribeOptions['retry'];
  /**
   * Applies the events not seen before, on `tx`; returns the events the change produces.
   * Effect, processed ids and produced events commit together.
   */
  handle: (tx: Tx, events: SluiceEvent[]) => Promise<SluiceEvent[]>;
  /** Runs after the commit (e.g. to wake a waiter); never for redelivered events. */
  afterCommit?: (applied: SluiceEvent[], produced: SluiceEvent[]) => void;
}

/**
 * How long a transaction may wait for a connection and run. The embedded database has one
 * connection: under a burst (a few 1,000-item submissions at once) work queues for it, and
 * queueing is right where Prisma's default 2 s wait would fail the request.
 */
const TRANSACTION_OPTIONS = { maxWait: 30_000, timeout: 60_000 };

/**
 * The write side of a service in one place: every state change commits together with the
 * events it produces (outbox), and every consumed event is applied exactly once (processed
 * ids in the same transaction). The relay then publishes; nothing is saved-then-sent.
 */
export class EventStore<Tx extends RawSqlClient = RawSqlClient> {
  constructor(
    private readonly client: TransactionalClient<Tx>,
    private readonly bus: EventBus,
    private readonly relay: OutboxRelay,
  ) {}

  /** A command: `change` runs in a transaction and returns its result and the events it produces. */
  async transact<R>(change: (tx: Tx) => Promise<{ result: R; events: SluiceEvent[] }>): Promise<R> {
    const { result, events } = await this.client.$transaction(async (tx) => {
      const outcome = await change(tx);
      await appendToOutbox(tx, outcome.events);
      return outcome;
    }, TRANSACTION_OPTIONS);
    if (events.length > 0) this.relay.notify();
    return result;
  }

  consume(options: ConsumeOptions<Tx>): Promise<Subscription> {
    return this.bus.subscribe({
      groupId: options.consumer,
      topics: options.topics,
      fromBeginning: options.fromBeginning ?? true,
      maxBatchSize: options.maxBatchSize,
      retry: options.retry,
      handle: async (events) => {
        const outcome = await applyOnce(this.client, options.consumer, events, async (tx, fresh) => {
          const produced = await options.handle(tx, fresh);
          await appendToOutbox(tx, produced);
          return produced;
        }, TRANSACTION_OPTIONS);
        const produced = outcome.result ?? [];
        if (produced.length > 0) this.relay.notify();
        if (outcome.applied.length > 0) options.afterCommit?.(outcome.applied, produced);
      },
    });
  }
}
