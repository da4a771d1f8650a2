import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** What `sluice login` keeps: where Sluice answers and the customer's API key. */
export interface ClientConfig {
  url?: string;
  key?: string;
}

type Env = Record<string, string | undefined>;

export const DEFAULT_URL = (env: Env) => `http://127.0.0.1:${env.PORT ?? 8080}`;

/** `$XDG_CONFIG_HOME/sluice/config.json`, else `~/.config/sluice/config.json`. */
export function configPath(env: Env): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'sluice', 'config.json');
}

export function readConfig(env: Env): ClientConfig {
  const file = configPath(env);
  if (!existsSync(file)) return {};
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as ClientConfig;
    return { url: typeof parsed.url === 'string' ? parsed.url : undefined, key: typeof parsed.key === 'string' ? parsed.key : undefined };
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}`);
  }
}

/** Writes the file readable by its owner only (0600, in a 0700 folder): it holds a key. */
export function writeConfig(env: Env, config: ClientConfig): string {
  const file = configPath(env);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify({ url: config.url, key: config.key }, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

/** The flag, else the environment (SLUICE_URL, SLUICE_API_KEY), else the saved login, else the local default URL. */
export function resolveConnection(flags: { url?: string; apiKey?: string }, env: Env): { url: string; key?: string } {
  const saved = readConfig(env);
  return {
    url: (flags.url ?? env.SLUICE_URL ?? saved.url ?? DEFAULT_URL(env)).replace(/\/+$/, ''),
    key: flags.apiKey ?? env.SLUICE_API_KEY ?? saved.key,
  };
}
