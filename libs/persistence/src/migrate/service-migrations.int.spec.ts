import { Client } from 'pg';
import { createTestDatabase, testDatabaseUrl } from '@sluice/testing';
import { ServiceNames, schemaLocationOf } from '../services';
import { applyMigrations, diffMigrationsToSchema, migrationStatus, type MigrationTarget } from './migrate';

jest.setTimeout(120_000);

async function databaseNames(): Promise<string[]> {
  const client = new Client({ connectionString: testDatabaseUrl() });
  await client.connect();
  try {
    return (await client.query<{ datname: string }>('SELECT datname FROM pg_database')).rows.map((row) => row.datname);
  } finally {
    await client.end();
  }
}

describe.each(ServiceNames)('%s database (real PostgreSQL)', (service) => {
  const location = schemaLocationOf(service);
  let target: MigrationTarget;
  beforeAll(async () => {
    target = { kind: 'postgres', url: await createTestDatabase(`migrate_${service}`) };
  });

  it('migrates a fresh database, and migrating again changes nothing', async () => {
    const first = await applyMigrations(target, location);
    const second = await applyMigrations(target, location);

    expect(first.applied.length).toBeGreaterThan(0);
    expect(second.applied).toEqual([]);
    expect((await migrationStatus(target, location)).history).toBeNull();
  });

  it('has migrations that replay (in a shadow database on the server) to exactly schema.prisma, leaving no shadow behind', async () => {
    const before = await databaseNames();

    const drift = await diffMigrationsToSchema(location, target);

    expect(drift).toEqual({ inSync: true, sql: '' });
    expect(await databaseNames()).toEqual(before);
  });
});
