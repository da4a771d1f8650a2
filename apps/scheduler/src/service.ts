import { startWorkerService, type ServiceDefinition } from '@sluice/platform';
import { PrismaClient } from './generated/prisma/client';
import { SchedulingModule } from './scheduling/scheduling.module';

export const schedulerService: ServiceDefinition = {
  name: 'scheduler',
  start: (runtime) => startWorkerService(runtime, { prisma: PrismaClient, features: [SchedulingModule] }),
};
