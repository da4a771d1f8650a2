import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { declareConsumer } from '@sluice/events';
import { EventBus, type Subscription } from '@sluice/eventlog';
import { SERVICE_RUNTIME, type ServiceRuntime } from '@sluice/platform';
import { evolveServiceHealth, type ServiceHealthState } from './service-health.projection';

export const SERVICE_HEALTH_CONSUMER = declareConsumer({
  name: 'api-health',
  handles: ['ServiceHeartbeat'],
  description: "Keeps each service instance's latest heartbeat for /healthz (a group per API instance, from the end of the topic).",
});

/**
 * Keeps the latest heartbeat of every service instance in memory. Health is about now, so
 * each API instance reads from the end of the topic in a group of its own.
 */
@Injectable()
export class ServiceHealthConsumer implements OnModuleInit, OnApplicationShutdown {
  private state: ServiceHealthState = {};
  private subscription?: Subscription;

  constructor(
    private readonly bus: EventBus,
    @Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime,
  ) {}

  async onModuleInit(): Promise<void> {
    this.subscription = await this.bus.subscribe({
      consumer: SERVICE_HEALTH_CONSUMER,
      groupId: `api-health-${this.runtime.instanceId}`,
      fromBeginning: false,
      handle: async (events) => {
        for (const event of events) this.state = evolveServiceHealth(this.state, event);
      },
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.stop();
  }

  snapshot(): ServiceHealthState {
    return this.state;
  }
}
