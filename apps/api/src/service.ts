import { startHttpService, type ServiceDefinition } from '@sluice/platform';
import { PrismaClient } from './generated/prisma/client';
import { HealthModule } from './health/health.module';

export const apiService: ServiceDefinition = {
  name: 'api',
  start: (runtime) => startHttpService(runtime, { prisma: PrismaClient, features: [HealthModule] }),
};
