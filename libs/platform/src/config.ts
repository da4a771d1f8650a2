import { LOG_LEVELS } from '@sluice/telemetry';
import { z } from 'zod';

/** A bad or missing setting; the message names every variable at fault and what it must be. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Validates environment variables against `schema`, failing fast with one readable message. */
export function parseConfig<S extends z.ZodType>(app: string, schema: S, env: Record<string, string | undefined>): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const name = issue.path.join('.') || '(environment)';
    const value = env[String(issue.path[0])];
    return `  - ${name}: ${value === undefined ? 'missing' : 'bad value'} (${issue.message})`;
  });
  throw new ConfigError(`${app}: invalid configuration\n${lines.join('\n')}`);
}

const csv = z
  .string()
  .min(1)
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
  .pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, 'host:port')).min(1));

/** Simulated time (demos, tests, benchmarks): every process of one deployment must agree. */
export const ClockEnv = {
  SLUICE_TIME_SCALE: z.coerce.number().positive().default(1),
  SLUICE_CLOCK_ORIGIN: z.iso.datetime().optional(),
};

/** The settings every service needs when it runs as its own process (distributed engine). */
export const DistributedServiceEnv = z.looseObject({
  KAFKA_BROKERS: csv.describe('comma-separated host:port list'),
  KAFKA_CLIENT_ID: z.string().min(1).optional(),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'a postgresql:// URL' }),
  HEARTBEAT_INTERVAL_MS: z.coerce.number().int().min(100).default(2_000),
  /** The provider catalogue file (JSON); defaults to the demo market's. */
  SLUICE_CATALOGUE: z.string().min(1).optional(),
  /** JSON `{providerId: {baseUrl, apiKey}}` replacing those providers' endpoints; the others: their catalogue URL and key variable. */
  SLUICE_PROVIDER_ENDPOINTS: z.string().min(1).optional(),
  ...ClockEnv,
  /** Apply pending migrations at start (development); deployments run the migrate job instead. */
  MIGRATE_ON_START: z.stringbool().default(false),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  /** Serves this process's Kubernetes probes (`/livez`, `/readyz`) on this port (all interfaces); none when unset. */
  HEALTH_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
});
export type DistributedServiceEnv = z.infer<typeof DistributedServiceEnv>;

export const HttpEnv = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  /** The operator's key for admin endpoints (accounts, credits); at least 24 characters. */
  SLUICE_ADMIN_KEY: z.string().min(24).optional(),
  /** Uploads larger than this are refused (413 file_too_large); default 1 GiB. */
  SLUICE_MAX_UPLOAD_BYTES: z.coerce.number().int().positive().optional(),
});
