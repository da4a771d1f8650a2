import { DistributedServiceEnv, parseConfig } from '@sluice/platform';

/** The only reader of process.env in the router service. */
export function loadRouterConfig(env: Record<string, string | undefined> = process.env): DistributedServiceEnv {
  return parseConfig('router', DistributedServiceEnv, env);
}
