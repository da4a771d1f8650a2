import { Module } from '@nestjs/common';
import { BillingConsumers } from './billing.consumers';

@Module({ providers: [BillingConsumers] })
export class BillingModule {}
