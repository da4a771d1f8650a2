import { Controller, Get, Inject, Res } from '@nestjs/common';
import { EventBus } from '@sluice/eventlog';
import { SERVICE_RUNTIME, type ServiceRuntime } from '@sluice/platform';
import type { FastifyReply } from 'fastify';
import { ServiceHealthConsumer } from './service-health.consumer';
import { reportServiceHealth } from './service-health.projection';

@Controller()
export class HealthController {
  constructor(
    private readonly consumer: ServiceHealthConsumer,
    private readonly bus: EventBus,
    @Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime,
  ) {}

  /** 200 when the log and all five services are up, 503 otherwise; the body says which. */
  @Get('healthz')
  async health(@Res({ passthrough: true }) reply: FastifyReply) {
    const log = await this.bus.log.health().catch((err: Error) => ({ ok: false, detail: err.message }));
    const services = reportServiceHealth(this.consumer.snapshot(), new Date(), this.runtime.heartbeatIntervalMs * 3);
    const ok = log.ok && Object.values(services).every((s) => s.status === 'up');
    reply.status(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'degraded', log: { kind: this.bus.log.kind, ...log }, services };
  }
}
