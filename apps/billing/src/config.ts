import { DistributedServiceEnv, parseConfig } from '@sluice/platform';

/** The only reader of process.env in the billing service. */
export function loadBillingConfig(env: Record<string, string | undefined> = process.env): DistributedServiceEnv {
  return parseConfig('billing', DistributedServiceEnv, env);
}
