import { startWorkerService, type ServiceDefinition } from '@sluice/platform';

export const schedulerService: ServiceDefinition = {
  name: 'scheduler',
  start: (runtime) => startWorkerService(runtime, []),
};
