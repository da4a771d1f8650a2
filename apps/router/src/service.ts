import { startWorkerService, type ServiceDefinition } from '@sluice/platform';
import { PrismaClient } from './generated/prisma/client';

export const routerService: ServiceDefinition = {
  name: 'router',
  start: (runtime) => startWorkerService(runtime, { prisma: PrismaClient, features: [] }),
};
