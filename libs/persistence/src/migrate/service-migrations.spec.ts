import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { ServiceNames, schemaLocationOf } from '../services';
import { fixtureSchema } from '../testing/fixture-database';
import { applyMigrations, createMigration, diffMigrationsToSchema, migrationStatus } from './migrate';
import { requireVmModulesForPglite } from '../testing/pglite-under-jest';

requireVmModulesForPglite();
jest.setTimeout(120_000);

describe.each(ServiceNames)('%s database (PGlite)', (service) => {
  const location = schemaLocationOf(service);

  it('has migrations that build exactly what schema.prisma declares', async () => {
    const drift = await diffMigrationsToSchema(location);

    expect(drift.sql).toBe('');
    expect(drift.inSync).toBe(true);
  });

  it('migrates a fresh database, and migrating again changes nothing', async () => {
    const db = await PGlite.create('memory://');
    try {
      const folders = readdirSync(location.migrationsDir).filter((name) => name !== 'migration_lock.toml').sort();

      const first = await applyMigrations({ kind: 'pglite', db }, location);
      const second = await applyMigrations({ kind: 'pglite', db }, location);

      expect(first.applied).toEqual(folders);
      expect(second.applied).toEqual([]);
      const recorded = await db.query<{ migration_name: string }>('SELECT migration_name FROM _prisma_migrations ORDER BY migration_name');
      expect(recorded.rows.map((row) => row.migration_name)).toEqual(folders);
      expect((await migrationStatus({ kind: 'pglite', db }, location)).history).toBeNull();
    } finally {
      await db.close();
    }
  });
});

describe('infrastructure tables', () => {
  const modelBlock = (schemaPath: string, model: string) =>
    readFileSync(schemaPath, 'utf8').match(new RegExp(`^model ${model} \\{[^}]*\\}`, 'm'))?.[0];

  it.each(['ProcessedEvent', 'Outbox'])('every service declares %s exactly as the helpers expect', (model) => {
    const expected = modelBlock(fixtureSchema.schemaPath, model);
    expect(expected).toBeDefined();
    for (const service of ServiceNames) expect([service, modelBlock(schemaLocationOf(service).schemaPath, model)]).toEqual([service, expected]);
  });
});

describe('drift between schema.prisma and migrations', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-drift-'));
    cpSync(join(schemaLocationOf('billing').schemaPath, '..'), dir, { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is reported with the SQL to add, and a migration created from it closes the gap', async () => {
    const location = { schemaPath: join(dir, 'schema.prisma'), migrationsDir: join(dir, 'migrations') };
    const schema = readFileSync(location.schemaPath, 'utf8');
    writeFileSync(location.schemaPath, schema.replace('  topic     String   @db.Text\n', '  topic     String   @db.Text\n  attempts  Int      @default(0)\n'));

    const drift = await diffMigrationsToSchema(location);
    expect(drift.inSync).toBe(false);
    expect(drift.sql).toContain('ALTER TABLE "outbox" ADD COLUMN     "attempts" INTEGER NOT NULL DEFAULT 0');

    const folder = await createMigration(location, 'outbox_attempts', new Date('2030-01-02T03:04:05Z'));
    expect(folder).toBe('20300102030405_outbox_attempts');
    expect(await diffMigrationsToSchema(location)).toEqual({ inSync: true, sql: '' });
  });
});
