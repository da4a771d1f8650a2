import { PGlite } from '@electric-sql/pglite';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { DiagnoseMigrationHistoryOutput, DiffTarget } from '@prisma/schema-engine-wasm';
import { NO_EXTERNAL_OBJECTS, readMigrations, readSchema, writeMigration, type SchemaLocation } from './migrations-folder';
import { pgliteMigrationAdapter } from './pglite-migration-adapter';
import { postgresMigrationAdapter } from './postgres-migration-adapter';
import { withSchemaEngine } from './schema-engine';

/** A database to migrate: an open PGlite (embedded mode; `schema` when it is shared, see useSchema) or a PostgreSQL URL. */
export type MigrationTarget = { kind: 'pglite'; db: PGlite; schema?: string } | { kind: 'postgres'; url: string };

export function migrationAdapterFor(target: MigrationTarget): SqlMigrationAwareDriverAdapterFactory {
  switch (target.kind) {
    case 'pglite':
      return pgliteMigrationAdapter(target.db, undefined, target.schema);
    case 'postgres':
      return postgresMigrationAdapter(target.url);
    default: {
      const never: never = target;
      throw new Error(`unknown migration target ${JSON.stringify(never)}`);
    }
  }
}

/**
 * Applies the migrations of `location` not yet recorded in `_prisma_migrations`, in folder
 * order, like `prisma migrate deploy`. Idempotent: a migrated database applies nothing.
 * Refuses (throws) when an applied migration was edited or a previous one failed.
 */
export async function applyMigrations(target: MigrationTarget, location: SchemaLocation): Promise<{ applied: string[] }> {
  return withSchemaEngine(migrationAdapterFor(target), async (engine) => {
    const out = await engine.applyMigrations({ migrationsList: readMigrations(location.migrationsDir), filters: NO_EXTERNAL_OBJECTS });
    return { applied: out.appliedMigrationNames };
  });
}

/** How the database's migration history compares with the folder (nothing is changed). */
export async function migrationStatus(target: MigrationTarget, location: SchemaLocation): Promise<DiagnoseMigrationHistoryOutput> {
  return withSchemaEngine(migrationAdapterFor(target), (engine) =>
    engine.diagnoseMigrationHistory({
      migrationsList: readMigrations(location.migrationsDir),
      optInToShadowDatabase: false,
      filters: NO_EXTERNAL_OBJECTS,
    }),
  );
}

/** The SQL that takes a database built by the migrations folder to `schema.prisma`. */
export interface SchemaDrift {
  inSync: boolean;
  /** Empty when in sync. */
  sql: string;
}

/**
 * Diffs the migrations folder against `schema.prisma` (an empty folder diffs from nothing).
 * The migrations are replayed into a shadow database: on `target` when given (PostgreSQL: a
 * temporary database next to it), otherwise into a throwaway in-memory PGlite, so authoring
 * a migration needs no server.
 */
export async function diffMigrationsToSchema(location: SchemaLocation, target?: MigrationTarget): Promise<SchemaDrift> {
  const migrations = readMigrations(location.migrationsDir);
  const from: DiffTarget = migrations.migrationDirectories.length === 0 ? { tag: 'empty' } : { tag: 'migrations', ...migrations };
  const sql = await diffToSchema(from, location, target);
  return { inSync: sql === null, sql: sql ?? '' };
}

/** The SQL that creates `schema.prisma` from nothing. */
export async function diffEmptyToSchema(location: SchemaLocation): Promise<string> {
  return (await diffToSchema({ tag: 'empty' }, location)) ?? '';
}

/** The migration script from `from` to the schema, or null when there is no difference. */
async function diffToSchema(from: DiffTarget, location: SchemaLocation, target?: MigrationTarget): Promise<string | null> {
  const scratch = target ? null : await PGlite.create('memory://');
  const adapter = scratch ? pgliteMigrationAdapter(scratch, async () => scratch) : migrationAdapterFor(target!);
  try {
    return await withSchemaEngine(adapter, async (engine) => {
      const result = await engine.diff({
        from,
        to: { tag: 'schemaDatamodel', ...readSchema(location.schemaPath) },
        script: true,
        exitCode: true,
        filters: NO_EXTERNAL_OBJECTS,
      });
      // With exitCode requested the engine answers 2 when there is a difference.
      return result.exitCode === 0 ? null : (result.stdout ?? '');
    });
  } finally {
    await scratch?.close();
  }
}

/**
 * Writes a new migration folder holding the diff between the migrations folder and
 * `schema.prisma` (Prisma's `createMigration` does not work through the WASM engine).
 * Returns the folder name, or null when there is nothing to migrate.
 */
export async function createMigration(location: SchemaLocation, name: string, now: Date): Promise<string | null> {
  const drift = await diffMigrationsToSchema(location);
  if (drift.inSync) return null;
  return writeMigration(location.migrationsDir, name, drift.sql, now);
}
