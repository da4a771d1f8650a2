import { startWorkerService, type ServiceDefinition } from '@sluice/platform';

export const filesService: ServiceDefinition = {
  name: 'files',
  start: (runtime) => startWorkerService(runtime, []),
};
