import { resolve } from 'node:path';
import { HttpEnv, parseConfig } from '@sluice/platform';
import { z } from 'zod';

const EmbeddedEnv = HttpEnv.extend({
  SLUICE_DATA_DIR: z.string().min(1).default('.sluice').transform((dir) => resolve(dir)),
  HEARTBEAT_INTERVAL_MS: z.coerce.number().int().min(100).default(2_000),
});
export type EmbeddedConfig = z.infer<typeof EmbeddedEnv>;

/** The only reader of process.env in the embedded launcher. */
export function loadEmbeddedConfig(env: Record<string, string | undefined> = process.env): EmbeddedConfig {
  return parseConfig('sluice', EmbeddedEnv, env);
}
