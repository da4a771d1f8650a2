import { DistributedServiceEnv, parseConfig } from '@sluice/platform';

/** The only reader of process.env in the files service. */
export function loadFilesConfig(env: Record<string, string | undefined> = process.env): DistributedServiceEnv {
  return parseConfig('files', DistributedServiceEnv, env);
}
