import { DistributedServiceEnv, parseConfig } from '@sluice/platform';

/** The only reader of process.env in the scheduler service. */
export function loadSchedulerConfig(env: Record<string, string | undefined> = process.env): DistributedServiceEnv {
  return parseConfig('scheduler', DistributedServiceEnv, env);
}
