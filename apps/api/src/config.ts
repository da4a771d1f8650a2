import { DistributedServiceEnv, HttpEnv, parseConfig } from '@sluice/platform';
import { z } from 'zod';

const ApiEnv = DistributedServiceEnv.extend(HttpEnv.shape);
export type ApiConfig = z.infer<typeof ApiEnv>;

/** The only reader of process.env in the API service. */
export function loadApiConfig(env: Record<string, string | undefined> = process.env): ApiConfig {
  return parseConfig('api', ApiEnv, env);
}

const WebhookEnv = z.looseObject({
  /** Callback URLs to loopback and private addresses, over http too (tests, development); public https only otherwise. */
  SLUICE_WEBHOOK_ALLOW_HTTP: z.stringbool().default(false),
  /** The wait after a webhook's first failed attempt, doubled after each (capped at an hour, for 24 h). */
  SLUICE_WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(1).default(30_000),
  /** How long one attempt waits for the receiver's answer. */
  SLUICE_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(1).default(10_000),
});
export type WebhookConfig = z.infer<typeof WebhookEnv>;

export function loadWebhookConfig(env: Record<string, string | undefined> = process.env): WebhookConfig {
  return parseConfig('api webhooks', WebhookEnv, env);
}
