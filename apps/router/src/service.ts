import { startWorkerService, type ServiceDefinition } from '@sluice/platform';

export const routerService: ServiceDefinition = {
  name: 'router',
  start: (runtime) => startWorkerService(runtime, []),
};
