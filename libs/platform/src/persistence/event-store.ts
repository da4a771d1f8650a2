import type { ConsumerDeclaration, EventOf, EventType, SluiceEvent } from '@sluice/events';
import { BatchCoalescer, type EventBus, type EventSubscribeOptions, type Subscription } from '@sluice/eventlog';
import { appendToOutbox, applyOnce, type OutboxRelay, type RawSqlClient, type TransactionalClient } from '@sluice/persistence';
import { admissionPriority } from '../admission-priority';
import { backgroundLane } from '../background-lane';
import { logger, watchConsumerLag } from '@sluice/telemetry';

const log = logger('consumer');

export interface ConsumeOptions<Tx extends RawSqlClient, T extends EventType = EventType> {
  /**
   * The consumer: its name is its group on the log and its key in `processed_event`; it reads
   * the topics of the events it handles, and the others never reach it (no processed id, no
   * transaction).
   */
  consumer: ConsumerDeclaration<T>;
  fromBeginning?: boolean;
  maxBatchSize?: number;
  maxBatchSizeByTopic?: EventSubscribeOptions['maxBatchSizeByTopic'];
  retry?: EventSubscribeOptions['retry'];
  /**
   * Of the handled events, those the handler acts on, by their payload (default: all). Others
   * are left out before the transaction: they record no processed id, and a batch of only
   * those opens no transaction.
   */
  accepts?: (event: EventOf<T>) => boolean;
  /**
   * Applies the events not seen before, on `tx`; returns the events the change produces.
   * Effect, processed ids and produced events commit together.
   */
  handle: (tx: Tx, events: EventOf<T>[]) => Promise<SluiceEvent[]>;
  /** Runs after the commit (e.g. to wake a waiter); never for redelivered events. */
  afterCommit?: (applied: EventOf<T>[], produced: SluiceEvent[]) => void;
  /**
   * Readers wait on this consumer (read models behind GETs and waiting requests): its batches
   * run at once, never on the background lane (see EventStoreOptions.backgroundLane).
   */
  foreground?: boolean;
}

/**
 * How long a transaction may wait for a connection and run. The embedded database has one
 * connection: under a burst (a few 1,000-item submissions at once) work queues for it, and
 * queueing is right where Prisma's default 2 s wait would fail the request.
 */
export const TRANSACTION_OPTIONS = { maxWait: 30_000, timeout: 60_000 };

/**
 * The write side of a service in one place: every state change commits together with the
 * events it produces (outbox), and every consumed event is applied exactly once (processed
 * ids in the same transaction). The relay then publishes; nothing is saved-then-sent.
 */
export interface EventStoreOptions {
  /**
   * Commands that arrive while one commits share the next transaction (group commit). Right
   * for an embedded database, which runs one transaction at a time anyway; on PostgreSQL
   * concurrent commands run in concurrent transactions instead.
   */
  joinCommands?: boolean;
  /**
   * Consumers not marked `foreground` take turns on the process's background lane (see
   * BackgroundLane): right for the embedded engine, whose services share one thread; on
   * PostgreSQL each service has its own process and pool, and its consumers run side by side.
   */
  backgroundLane?: boolean;
}

interface Command<Tx> {
  change: (tx: Tx) => Promise<{ result: unknown; events: SluiceEvent[] }>;
  outcome?: { result: unknown; events: SluiceEvent[] };
}

/** Commands joined into one transaction at most (each may carry many events). */
const MAX_JOINED_COMMANDS = 64;

/**
 * Turns of the event loop a consumer that was idle waits for the other partitions' batches
 * before its transaction. Two turns halve the transactions under a steady trickle (embedded,
 * 20 objects/s in bodies of 5: billing 562 → 210, scheduler 879 → 291, read models 1,214 → 596)
 * and the CPU per object (57 → 30–38 ms), for a wait of microseconds when nothing else runs.
 */
const CONSUMER_GATHER_TURNS = 2;

export class EventStore<Tx extends RawSqlClient = RawSqlClient> {
  private readonly commands: BatchCoalescer<Command<Tx>> | null;
  private readonly lane: boolean;

  constructor(
    private readonly client: TransactionalClient<Tx>,
    private readonly bus: EventBus,
    private readonly relay: OutboxRelay,
    options: EventStoreOptions = {},
  ) {
    this.commands = options.joinCommands ? new BatchCoalescer((commands) => this.commit(commands), { maxItems: MAX_JOINED_COMMANDS }) : null;
    this.lane = options.backgroundLane ?? false;
  }

  /** Runs background work no reader waits on: on the background lane when this store uses it, else at once. */
  inBackground<T>(unit: () => Promise<T>): Promise<T> {
    return this.lane ? backgroundLane.run(unit) : unit();
  }

  /**
   * A command: `change` runs in a transaction and returns its result and the events it produces.
   * Joined with others (see `joinCommands`), it may run again alone when one of them fails, so
   * it must do nothing outside `tx`.
   */
  async transact<R>(change: (tx: Tx) => Promise<{ result: R; events: SluiceEvent[] }>): Promise<R> {
    const command: Command<Tx> = { change };
    if (this.commands) await this.commands.submit([command]);
    else await this.commit([command]);
    return command.outcome?.result as R;
  }

  private async commit(commands: Command<Tx>[]): Promise<void> {
    const outcomes = await this.client.$transaction(async (tx) => {
      const done: { result: unknown; events: SluiceEvent[] }[] = [];
      for (const command of commands) done.push(await command.change(tx));
      await appendToOutbox(tx, done.flatMap((outcome) => outcome.events));
      return done;
    }, TRANSACTION_OPTIONS);
    commands.forEach((command, i) => (command.outcome = outcomes[i]));
    if (outcomes.some((outcome) => outcome.events.length > 0)) this.relay.notify();
  }

  /**
   * Batches that the consumer's partitions deliver while one is being applied are applied
   * together, in one transaction: under load a handful of large transactions instead of one
   * small one per partition; when idle a batch waits two turns of the event loop for the
   * batches the other partitions deliver at the same moment.
   */
  async consume<T extends EventType>(options: ConsumeOptions<Tx, T>): Promise<Subscription> {
    const coalescer = new BatchCoalescer<EventOf<T>>((events) => this.applyConsumed(options, events), { gatherTurns: CONSUMER_GATHER_TURNS });
    const group = options.consumer.name;
    const subscription = await this.bus.subscribe({
      consumer: options.consumer,
      fromBeginning: options.fromBeginning ?? true,
      maxBatchSize: options.maxBatchSize,
      maxBatchSizeByTopic: options.maxBatchSizeByTopic,
      retry: options.retry,
      handle: (events) => coalescer.submit(events),
    });
    const eventLog = this.bus.log;
    // Asked at scrape time only: the partitions this process consumes, end offset minus committed.
    const unwatch = watchConsumerLag(group, () =>
      Promise.all(
        subscription.assignments().map(async (tp) => {
          const [end, committed] = await Promise.all([eventLog.endOffset(tp), eventLog.committedOffset(group, tp)]);
          return { topic: tp.topic, partition: tp.partition, lag: Math.max(0, end - (committed ?? 0)) };
        }),
      ),
    );
    return {
      groupId: subscription.groupId,
      assignments: () => subscription.assignments(),
      stop: () => {
        unwatch();
        return subscription.stop();
      },
    };
  }

  private async applyConsumed<T extends EventType>(options: ConsumeOptions<Tx, T>, delivered: EventOf<T>[]): Promise<void> {
    const events = options.accepts ? delivered.filter(options.accepts) : delivered;
    if (events.length === 0) return;
    // Submissions being admitted go first (see AdmissionPriority).
    await admissionPriority.backgroundTurn();
    const apply = () =>
      applyOnce(this.client, options.consumer.name, events, async (tx, fresh) => {
        // `fresh` holds events of `delivered` only (applyOnce drops the ids seen before).
        const produced = await options.handle(tx, fresh as EventOf<T>[]);
        await appendToOutbox(tx, produced);
        return produced;
      }, TRANSACTION_OPTIONS);
    const outcome = options.foreground ? await apply() : await this.inBackground(apply);
    const produced = outcome.result ?? [];
    if (produced.length > 0) this.relay.notify();
    if (outcome.applied.length > 0) options.afterCommit?.(outcome.applied as EventOf<T>[], produced);
    if (log.enabled('debug')) log.debug({ group: options.consumer.name, delivered: delivered.length, applied: outcome.applied.length, produced: produced.length }, 'batch applied');
  }
}
