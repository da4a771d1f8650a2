import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { loadWebhookConfig } from '../config';
import { WEBHOOK_CONFIG } from './webhook-config';
import { WebhookDeliveryWorker } from './webhook-delivery.worker';
import { WebhooksConsumer } from './webhooks.consumer';
import { WebhooksController } from './webhooks.controller';

/** Task webhooks: the consumer that queues a delivery when a task ends, the worker that sends it, the secret and log routes. */
@Module({
  imports: [AccountsModule],
  controllers: [WebhooksController],
  providers: [{ provide: WEBHOOK_CONFIG, useFactory: () => loadWebhookConfig() }, WebhookDeliveryWorker, WebhooksConsumer],
  exports: [WEBHOOK_CONFIG],
})
export class WebhooksModule {}
