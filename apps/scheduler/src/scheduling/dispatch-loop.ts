import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { timeOrderedId } from '@sluice/events';
import { admissionPriority, EventStore, SERVICE_RUNTIME, type ServiceRuntime } from '@sluice/platform';
import { BATCH_MAX_ITEMS } from '../planning/plan.planner';
import { cancelObject, dispatchDue, taskOf } from './scheduled-object.decider';
import { CANCEL_ROWS_PER_TRANSACTION, countEscalationsInFlight, loadCancelledTasks, loadDue, loadSweep, nextWakeAt, saveObjects } from './scheduled-object.store';

/**
 * Longest real wait between passes. The loop sleeps until the next due time when that is
 * sooner (simulated time may run much faster than real time), and the consumer wakes it
 * when it plans something.
 */
const POLL_INTERVAL_MS = 100;
/**
 * Shortest real time between the starts of two passes. Live work due now is dispatched by the
 * scheduling consumer itself, so what waits here (provider batch groups, retries, escalations)
 * loses nothing to it, and a busy consumer waking the loop on every commit does not turn each
 * commit into a scan of every waiting row.
 */
const MIN_PASS_INTERVAL_MS = 25;
const ROWS_PER_TICK = 5_000;
/**
 * Escalated attempts the scheduler lets run at once (as far as its log says). The router runs
 * live calls a few thousand at a time anyway; and a scheduler behind its log sees objects as
 * still running that completed long ago (their completion waits in its backlog), so without a
 * bound it escalated every one of them as their deadlines neared: hundreds of thousands of
 * dispatches of finished objects, each an event on the log. An escalation that ends, as the
 * scheduler reads it, makes room for the next.
 */
export const ESCALATIONS_IN_FLIGHT = 5_000;

/**
 * Sends due objects on their way: polls the due rows on the runtime clock, and commits the
 * state change with the dispatch events in one transaction.
 */
@Injectable()
export class DispatchLoop implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('DispatchLoop');
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private woken = false;
  /** Whether the last pass left room for an escalation: when not, their times do not wake the loop. */
  private escalationRoom = true;

  constructor(
    private readonly store: EventStore,
    @Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime,
  ) {}

  onApplicationBootstrap(): void {
    this.running = true;
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** One pass: dispatches everything due now; returns how many events it produced. */
  async tick(): Promise<number> {
    return (await this.pass()).produced;
  }

  /** One pass; `more` when it stopped at its row limit (something due may be left). */
  private pass(): Promise<{ produced: number; more: boolean }> {
    const clock = this.runtime.clock;
    return this.store.transact(async (tx) => {
      const now = clock.now();
      // A chunk of the objects large cancellations left (ended here, so not dispatched below).
      const swept = await loadSweep(tx, CANCEL_ROWS_PER_TRANSACTION);
      const sweptIds = new Set(swept.map((o) => o.objectId));
      const room = ESCALATIONS_IN_FLIGHT - (await countEscalationsInFlight(tx));
      this.escalationRoom = room > 0;
      const due = await loadDue(tx, now, BATCH_MAX_ITEMS, ROWS_PER_TICK, room);
      const rows = due.filter((o) => !sweptIds.has(o.objectId));
      const cancelledTasks = await loadCancelledTasks(tx, [...new Set([...rows, ...swept].map(taskOf))]);
      const ctx = { catalogue: this.runtime.catalogue, now, deps: { now: () => clock.now(), newId: timeOrderedId }, cancelledTasks };
      const ended = swept.map((o) => cancelObject(o, ctx));
      const dispatched = dispatchDue(rows, ctx, BATCH_MAX_ITEMS, room);
      const states = [...ended.flatMap((d) => (d.state ? [d.state] : [])), ...dispatched.states];
      const events = [...ended.flatMap((d) => d.events), ...dispatched.events];
      await saveObjects(tx, states);
      const more = due.length >= ROWS_PER_TICK || swept.length >= CANCEL_ROWS_PER_TRANSACTION;
      return { result: { produced: events.length, more }, events };
    });
  }

  private async run(): Promise<void> {
    let lastPassAt = 0;
    while (this.running) {
      const sinceLast = Date.now() - lastPassAt;
      if (sinceLast < MIN_PASS_INTERVAL_MS) await new Promise((resolve) => setTimeout(resolve, MIN_PASS_INTERVAL_MS - sinceLast));
      lastPassAt = Date.now();
      this.woken = false;
      let more = false;
      try {
        await admissionPriority.backgroundTurn();
        more = (await this.pass()).more;
      } catch (err) {
        this.logger.error(`dispatch pass failed, will retry: ${(err as Error).message}`);
      }
      // A pass leaves nothing due behind unless it hit its limit; work planned while it ran woke it.
      if (!more && !this.woken && this.running) await this.pause(await this.realMsUntilNextWake());
    }
  }

  /** Wakes the loop now (new work was planned), or makes the pass in flight run again at once. */
  notify(): void {
    this.woken = true;
    this.wake?.();
  }

  private async realMsUntilNextWake(): Promise<number> {
    const clock = this.runtime.clock;
    const next = await this.store.transact(async (tx) => ({ result: await nextWakeAt(tx, this.escalationRoom), events: [] })).catch(() => null);
    if (!next) return POLL_INTERVAL_MS;
    return Math.min(POLL_INTERVAL_MS, Math.max(1, clock.toRealMs(next.getTime() - clock.now().getTime())));
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(), ms);
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      this.wake = done;
      if (this.woken || !this.running) done();
    });
  }
}
