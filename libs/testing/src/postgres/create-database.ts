import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * Creates an empty database on the server behind `adminUrl` (a superuser URL) and returns a
 * URL for it. Names are restricted so they need no quoting rules beyond double quotes.
 */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
    throw new Error(`database name ${JSON.stringify(name)}: use lowercase letters, digits and _, at most 63`);
  }
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A fresh database with a unique name starting with `prefix`, for one test suite. */
export function createUniqueDatabase(adminUrl: string, prefix = 'test'): Promise<string> {
  const safePrefix = prefix.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 40);
  return createDatabase(adminUrl, `${safePrefix}_${randomBytes(6).toString('hex')}`);
}
