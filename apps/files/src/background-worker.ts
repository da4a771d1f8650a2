import { Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';

/**
 * A service's background work, run in rounds: at once when woken, otherwise every `idleMs`
 * (real time: the files service's work is I/O, not waiting on the simulated market). A failed
 * round is logged and retried; shutdown waits for the round in progress, which should check
 * `isRunning()` between steps.
 */
export abstract class BackgroundWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  protected readonly logger: Logger;
  private running = false;
  private loop?: Promise<void>;
  private woken = false;
  private wakeUp: () => void = () => undefined;

  protected constructor(
    name: string,
    private readonly idleMs: number,
  ) {
    this.logger = new Logger(name);
  }

  protected abstract round(isRunning: () => boolean): Promise<void>;

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
        await this.round(() => this.running);
      } catch (err) {
        this.logger.warn(`round failed, will retry: ${(err as Error).message}`);
      }
      if (!this.running || this.woken) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.idleMs);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}
