import { startWorkerService, type ServiceDefinition } from '@sluice/platform';
import { FilesModule } from './files.module';
import { PrismaClient } from './generated/prisma/client';

export const filesService: ServiceDefinition = {
  name: 'files',
  start: (runtime) => startWorkerService(runtime, { prisma: PrismaClient, features: [FilesModule] }),
};
