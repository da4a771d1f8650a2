import { resolve } from 'node:path';
import { ClockEnv, HttpEnv, parseConfig } from '@sluice/platform';
import { z } from 'zod';

const EmbeddedEnv = z.looseObject({
  ...HttpEnv.shape,
  ...ClockEnv,
  SLUICE_DATA_DIR: z.string().min(1).default('.sluice').transform((dir) => resolve(dir)),
  HEARTBEAT_INTERVAL_MS: z.coerce.number().int().min(100).default(2_000),
  SLUICE_CATALOGUE: z.string().min(1).optional(),
  /**
   * JSON `{providerId: {baseUrl, apiKey}}`: replaces those providers' endpoints. The others keep
   * theirs: the demo market for demo:// ones, the catalogue URL and `apiKeyEnv` key for real ones.
   */
  SLUICE_PROVIDER_ENDPOINTS: z.string().min(1).optional(),
  /** Demo market latency multiplier: 1 = the catalogue's figures, 0 = instant. */
  SLUICE_DEMO_LATENCY_SCALE: z.coerce.number().min(0).default(1),
  SLUICE_DEMO_SEED: z.string().default('sluice-demo'),
  /** Run the demo market on a worker thread (default), so the simulated providers' work does not share the exchange's thread. */
  SLUICE_DEMO_MARKET_THREAD: z.stringbool().default(true),
  /**
   * Embedded engine: run billing, the scheduler, the router and the files service on a worker
   * thread of their own (default), so their work does not delay the API's reads and projections.
   */
  SLUICE_SERVICE_THREAD: z.stringbool().default(true),
});
export type EmbeddedConfig = z.infer<typeof EmbeddedEnv>;

/** The only reader of process.env in the embedded launcher. */
export function loadEmbeddedConfig(env: Record<string, string | undefined> = process.env): EmbeddedConfig {
  return parseConfig('sluice', EmbeddedEnv, env);
}
