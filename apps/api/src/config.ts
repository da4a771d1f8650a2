import { DistributedServiceEnv, HttpEnv, parseConfig } from '@sluice/platform';
import type { z } from 'zod';

const ApiEnv = DistributedServiceEnv.extend(HttpEnv.shape);
export type ApiConfig = z.infer<typeof ApiEnv>;

/** The only reader of process.env in the API service. */
export function loadApiConfig(env: Record<string, string | undefined> = process.env): ApiConfig {
  return parseConfig('api', ApiEnv, env);
}
