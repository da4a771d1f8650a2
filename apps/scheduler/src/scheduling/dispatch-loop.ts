import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { EventStore, SERVICE_RUNTIME, type ServiceRuntime } from '@sluice/platform';
import { BATCH_MAX_ITEMS } from '../planning/plan.planner';
import { dispatchDue } from './scheduled-object.decider';
import { loadDue, nextWakeAt, saveObjects } from './scheduled-object.store';

/**
 * Longest real wait between passes. The loop sleeps until the next due time when that is
 * sooner (simulated time may run much faster than real time), and the consumer wakes it
 * when it plans something.
 */
const POLL_INTERVAL_MS = 100;
const ROWS_PER_TICK = 5_000;

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
    const clock = this.runtime.clock;
    return this.store.transact(async (tx) => {
      const now = clock.now();
      const rows = await loadDue(tx, now, BATCH_MAX_ITEMS, ROWS_PER_TICK);
      const { states, events } = dispatchDue(rows, { catalogue: this.runtime.catalogue, now, deps: { now: () => clock.now(), newId: randomUUID } }, BATCH_MAX_ITEMS);
      await saveObjects(tx, states);
      return { result: events.length, events };
    });
  }

  private async run(): Promise<void> {
    while (this.running) {
      let produced = 0;
      try {
        produced = await this.tick();
      } catch (err) {
        this.logger.error(`dispatch pass failed, will retry: ${(err as Error).message}`);
      }
      if (produced === 0 && this.running) await this.pause(await this.realMsUntilNextWake());
    }
  }

  /** Wakes the loop now (new work was planned). */
  notify(): void {
    this.wake?.();
  }

  private async realMsUntilNextWake(): Promise<number> {
    const clock = this.runtime.clock;
    const next = await this.store.transact(async (tx) => ({ result: await nextWakeAt(tx), events: [] })).catch(() => null);
    if (!next) return POLL_INTERVAL_MS;
    return Math.min(POLL_INTERVAL_MS, Math.max(1, clock.toRealMs(next.getTime() - clock.now().getTime())));
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(), ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
