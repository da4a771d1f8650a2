import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configPath, readConfig, resolveConnection, writeConfig } from './client-config';

describe('sluice login config', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'sluice-config-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('lives under XDG_CONFIG_HOME, else ~/.config, and is written 0600', () => {
    expect(configPath({ XDG_CONFIG_HOME: dir, HOME: '/nowhere' })).toBe(join(dir, 'sluice', 'config.json'));
    expect(configPath({ HOME: dir })).toBe(join(dir, '.config', 'sluice', 'config.json'));
    const file = writeConfig({ HOME: dir }, { url: 'http://sluice.example:8080', key: 'sk_live_x' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readConfig({ HOME: dir })).toEqual({ url: 'http://sluice.example:8080', key: 'sk_live_x' });
  });

  it('takes the flag, then SLUICE_URL / SLUICE_API_KEY, then the saved login, then the local default', () => {
    const env: Record<string, string | undefined> = { HOME: dir };
    expect(resolveConnection({}, env)).toEqual({ url: 'http://127.0.0.1:8080', key: undefined });
    writeConfig(env, { url: 'http://saved:1/', key: 'sk_saved' });
    expect(resolveConnection({}, env)).toEqual({ url: 'http://saved:1', key: 'sk_saved' });
    env.SLUICE_URL = 'http://env:2';
    env.SLUICE_API_KEY = 'sk_env';
    expect(resolveConnection({}, env)).toEqual({ url: 'http://env:2', key: 'sk_env' });
    expect(resolveConnection({ url: 'http://flag:3', apiKey: 'sk_flag' }, env)).toEqual({ url: 'http://flag:3', key: 'sk_flag' });
  });
});
