import { Logger } from '@nestjs/common';

/**
 * Runs `round` again and again: at once when woken, otherwise every `idleMs` (real time: the
 * files service's work is I/O, not waiting on the simulated market). A failed round is logged
 * and retried; stop() waits for the round in progress.
 */
export class BackgroundLoop {
  private running = false;
  private loop?: Promise<void>;
  private woken = false;
  private wakeUp: () => void = () => undefined;

  constructor(
    private readonly logger: Logger,
    private readonly idleMs: number,
    private readonly round: (isRunning: () => boolean) => Promise<void>,
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wakeUp();
    await this.loop;
  }

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
