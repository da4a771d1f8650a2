import { startWorkerService, type ServiceDefinition } from '@sluice/platform';
import { PrismaClient } from './generated/prisma/client';
import { routerModule } from './router.module';
import { defaultRouterOptions, type RouterOptions } from './router.options';

/** The router with its options (provider timeout, concurrency, batch polling); hosts and tests may override them. */
export function createRouterService(options: Partial<RouterOptions> = {}): ServiceDefinition {
  const settings = { ...defaultRouterOptions, ...options };
  return {
    name: 'router',
    start: (runtime) => startWorkerService(runtime, { prisma: PrismaClient, features: [routerModule(settings)] }),
  };
}

export const routerService: ServiceDefinition = createRouterService();
