import { startWorkerService, type ServiceDefinition } from '@sluice/platform';
import { BillingModule } from './billing.module';
import { PrismaClient } from './generated/prisma/client';

export const billingService: ServiceDefinition = {
  name: 'billing',
  start: (runtime) => startWorkerService(runtime, { prisma: PrismaClient, features: [BillingModule] }),
};
