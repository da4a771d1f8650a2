import type { SluiceEvent, TopicName } from '@sluice/events';
import { BatchCoalescer, type EventBus, type EventSubscribeOptions, type Subscription } from '@sluice/eventlog';
import { appendToOutbox, applyOnce, type OutboxRelay, type RawSqlClient, type TransactionalClient } from '@sluice/persistence';

export interface ConsumeOptions<Tx extends RawSqlClient> {
  /** The consumer's name: its group on the log and its key in `processed_event`. */
  consumer: string;
  topics: TopicName[];
  fromBeginning?: boolean;
  maxBatchSize?: number;
  retry?: EventSubscribeOptions['retry'];
  /**
   * The events the handler acts on (default: all). Others are left out before the
   * transaction: they record no processed id, and a batch of only those opens no transaction.
   */
  accepts?: (event: SluiceEvent) => boolean;
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

  /**
   * Batches that the consumer's partitions deliver while one is being applied are applied
   * together, in one transaction: under load a handful of large transactions instead of one
   * small one per partition; when idle a batch of one runs at once.
   */
  consume(options: ConsumeOptions<Tx>): Promise<Subscription> {
    const coalescer = new BatchCoalescer<SluiceEvent>((events) => this.applyConsumed(options, events));
    return this.bus.subscribe({
      groupId: options.consumer,
      topics: options.topics,
      fromBeginning: options.fromBeginning ?? true,
      maxBatchSize: options.maxBatchSize,
      retry: options.retry,
      handle: (events) => coalescer.submit(events),
    });
  }

  private async applyConsumed(options: ConsumeOptions<Tx>, delivered: SluiceEvent[]): Promise<void> {
    const events = options.accepts ? delivered.filter(options.accepts) : delivered;
    if (events.length === 0) return;
    const outcome = await applyOnce(this.client, options.consumer, events, async (tx, fresh) => {
      const produced = await options.handle(tx, fresh);
      await appendToOutbox(tx, produced);
      return produced;
    }, TRANSACTION_OPTIONS);
    const produced = outcome.result ?? [];
    if (produced.length > 0) this.relay.notify();
    if (outcome.applied.length > 0) options.afterCommit?.(outcome.applied, produced);
  }
}
