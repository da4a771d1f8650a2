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
  /**
   * Transient failures the demo market injects, per provider: `swift:0.3,tidal:0.1` fails 30% of
   * swift's calls and 10% of tidal's, half as 429s and half as 5xx, so retries can be watched.
   */
  SLUICE_DEMO_FAILURES: z
    .string()
    .optional()
    .transform((value, ctx) => {
      const rates: Record<string, number> = {};
      for (const part of (value ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '')) {
        const match = /^([a-z0-9][a-z0-9-]*):(0(?:\.\d+)?|1(?:\.0+)?)$/.exec(part);
        if (!match) {
          ctx.addIssue({ code: 'custom', message: `"${part}" is not provider:rate with a rate from 0 to 1 (e.g. swift:0.3)` });
          return z.NEVER;
        }
        rates[match[1]] = Number(match[2]);
      }
      return rates;
    }),
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
