import { startWorkerService, type ServiceDefinition } from '@sluice/platform';

export const billingService: ServiceDefinition = {
  name: 'billing',
  start: (runtime) => startWorkerService(runtime, []),
};
