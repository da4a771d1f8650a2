import { startHttpService, type ServiceDefinition } from '@sluice/platform';
import { HealthModule } from './health/health.module';

export const apiService: ServiceDefinition = {
  name: 'api',
  start: (runtime) => startHttpService(runtime, [HealthModule]),
};
