import { Module } from '@nestjs/common';
import { HealthController } from './health.controller';
import { ServiceHealthConsumer } from './service-health.consumer';

@Module({ controllers: [HealthController], providers: [ServiceHealthConsumer] })
export class HealthModule {}
