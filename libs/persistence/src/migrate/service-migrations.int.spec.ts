import { createTestDatabase, serverQuery } from '../testing/test-database';
import { ServiceNames, schemaLocationOf } from '../services';
import { applyMigrations, diffMigrationsToSchema, migrationStatus, type MigrationTarget } from './migrate';

jest.setTimeout(120_000);

/** Shadow databases this process created (named after its pid) that still exist. */
async function leftoverShadows(): Promise<string[]> {
  const rows = await serverQuery<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'prisma_shadow_${process.pid}_%'`);
  return rows.map((row) => row.datname);
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
    const drift = await diffMigrationsToSchema(location, target);

    expect(drift).toEqual({ inSync: true, sql: '' });
    expect(await leftoverShadows()).toEqual([]);
  });
});
