import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The operator's admin key for the embedded engine: the configured one, else one generated
 * on first start and kept in the data folder (readable by its owner only), so the CLI and a
 * restart find the same key.
 */
export function embeddedAdminKey(dataDir: string, configured?: string): string {
  if (configured) return configured;
  const file = join(dataDir, 'admin-key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const key = `sk_admin_${randomBytes(24).toString('base64url')}`;
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}
