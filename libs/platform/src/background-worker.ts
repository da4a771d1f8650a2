import { Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { admissionPriority } from './admission-priority';

/**
 * A service's background work, run in rounds: at once when woken (also when woken during a
 * round), otherwise after `nextWaitMs()` (default `idleMs`, real time; a service on the
 * simulated clock passes its `sleep`). A failed round is logged and retried; shutdown waits for
 * the round in progress, which should check `isRunning()` between steps.
 */
export abstract class BackgroundWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  protected readonly logger: Logger;
  private running = false;
  private loop?: Promise<void>;
  private woken = false;
  private wakeUp: () => void = () => undefined;

  protected constructor(
    name: string,
    protected readonly idleMs: number,
    private readonly sleep?: (ms: number) => Promise<void>,
  ) {
    this.logger = new Logger(name);
  }

  protected abstract round(isRunning: () => boolean): Promise<void>;

  /** How long to wait after a round unless woken. */
  protected async nextWaitMs(): Promise<number> {
    return this.idleMs;
  }

  onApplicationBootstrap(): void {
    this.running = true;
    this.loop = this.run();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.running = false;
    this.wakeUp();
    await this.loop;
  }

  /** New work may be there: start a round now (or right after the current one). */
  wake(): void {
    this.woken = true;
    this.wakeUp();
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.woken = false;
      try {
        await admissionPriority.backgroundTurn();
        await this.round(() => this.running);
      } catch (err) {
        this.logger.warn(`round failed, will retry: ${(err as Error).message}`);
      }
      if (!this.running || this.woken) continue;
      const waitMs = await this.nextWaitMs().catch(() => this.idleMs);
      if (this.woken || !this.running) continue;
      await new Promise<void>((resolve) => {
        if (this.sleep) {
          this.wakeUp = resolve;
          void this.sleep(waitMs).then(resolve);
          return;
        }
        const timer = setTimeout(resolve, waitMs);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}
