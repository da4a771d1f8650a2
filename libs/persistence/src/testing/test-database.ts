import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * Superuser URL of the PostgreSQL server the integration global setup started (libs/testing;
 * not imported: infra must not depend on testing).
 */
export function testServerUrl(): string {
  const url = process.env.SLUICE_TEST_DATABASE_URL;
  if (!url) throw new Error('SLUICE_TEST_DATABASE_URL is not set: run with `npx jest <path> --selectProjects integration`');
  return url;
}

export async function serverQuery<Row extends object>(sql: string): Promise<Row[]> {
  const client = new Client({ connectionString: testServerUrl() });
  await client.connect();
  try {
    return (await client.query<Row>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** A fresh, empty database on the test server; returns its URL. */
export async function createTestDatabase(prefix: string): Promise<string> {
  const name = `${prefix.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 40)}_${randomBytes(6).toString('hex')}`;
  await serverQuery(`CREATE DATABASE "${name}"`);
  const url = new URL(testServerUrl());
  url.pathname = `/${name}`;
  return url.toString();
}
