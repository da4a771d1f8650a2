import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ServiceHeartbeat, Topics, createEvent } from '@sluice/events';
import { SERVICE_RUNTIME } from './runtime.module';
import type { ServiceRuntime } from './service';

/** Announces the service on the heartbeat topic at start, on an interval, and when stopping. */
@Injectable()
export class HeartbeatPublisher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(HeartbeatPublisher.name);
  private timer?: NodeJS.Timeout;

  constructor(@Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.beat('up');
    this.timer = setInterval(() => {
      this.beat('up').catch((err: Error) => this.logger.warn(`heartbeat not published: ${err.message}`));
    }, this.runtime.heartbeatIntervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.beat('stopping').catch(() => undefined);
  }

  private beat(status: 'up' | 'stopping'): Promise<void> {
    const { service, instanceId, startedAt, bus } = this.runtime;
    const event = createEvent(
      ServiceHeartbeat,
      { service, instanceId, startedAt: startedAt.toISOString(), status },
      { correlationId: instanceId },
    );
    return bus.publish(Topics.heartbeats, [event]);
  }
}
