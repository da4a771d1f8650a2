import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { applyMigrations } from '../migrate/migrate';
import type { SchemaLocation } from '../migrate/migrations-folder';
import { pgliteAdapter } from '../migrate/pglite-migration-adapter';
import type { TransactionalClient } from '../raw-sql-client';
import { pgSqlClient } from './pg-sql-client';
import { pgliteSqlClient, useSchema } from './pglite-sql-client';
import { startCheckpoints } from './embedded-checkpoints';
import type { ServiceName } from '@sluice/events';
import { schemaLocationOf } from '../services';
import { sharedDatabaseRefusal } from './shared-database-adapter';

export type ServiceDatabaseOptions =
  | { service: ServiceName; mode: 'embedded'; dataDir: string; schema?: SchemaLocation }
  | {
      service: ServiceName;
      mode: 'postgres';
      url: string;
      /** Apply pending migrations on open. Off by default: deployments run the migrate job. */
      migrate?: boolean;
      schema?: SchemaLocation;
    };

export interface ServiceDatabase {
  service: ServiceName;
  mode: 'embedded' | 'postgres';
  /** Hand it to the service's generated client: `new PrismaClient({ adapter })`. */
  adapter: SqlDriverAdapterFactory;
  /**
   * Raw SQL and transactions on the same database without Prisma's query engine, for the
   * write side (event store, outbox relay) and hot reads.
   */
  sql: TransactionalClient;
  /** Migrations applied while opening (always empty for an up-to-date database). */
  appliedMigrations: string[];
  /**
   * Releases the database. Call it after `prisma.$disconnect()`: an embedded PGlite is
   * closed here (its files stay); on PostgreSQL the raw client's pool is ended here, Prisma's
   * by the client's disconnect.
   */
  close(): Promise<void>;
}

/**
 * The services that share one embedded database, one schema each (they run on one thread): a
 * PGlite holds ~50 MB however little is in it. The API keeps a database of its own on the main
 * thread, where its reads do not wait behind the other services' statements.
 */
export const SHARED_EMBEDDED_SERVICES: readonly ServiceName[] = ['billing', 'scheduler', 'router', 'files'];

/** Where embedded mode keeps a service's tables. */
export interface EmbeddedLocation {
  /** The PGlite folder. */
  dir: string;
  /** The schema holding them: the service's name in the shared database, `public` in one of its own. */
  schema: string;
  shared: boolean;
}

/**
 * `<dataDir>/db/services`, schema `<service>`, for the services that share; `<dataDir>/db/<service>`
 * for the API, and for every service of a data folder written before the database was shared.
 */
export function embeddedDatabaseLocation(dataDir: string, service: ServiceName): EmbeddedLocation {
  const own = join(dataDir, 'db', service);
  if (!SHARED_EMBEDDED_SERVICES.includes(service) || existsSync(join(own, 'PG_VERSION'))) return { dir: own, schema: 'public', shared: false };
  return { dir: join(dataDir, 'db', 'services'), schema: service, shared: true };
}

/**
 * PostgreSQL settings an embedded database starts with, on top of PGlite's own start
 * parameters (which stay as they are: single-user mode, its fsync and durability choices).
 *
 * shared_buffers: PGlite touches all of initdb's 128MB at start and WASM memory never shrinks,
 * so each of the five embedded databases held it before any data (bench/footprint/README.md
 * has the figures). A page not in the buffers is read from the OS page cache through one
 * synchronous read call: point lookups and appends (the hot path) touch few pages; whole-table
 * scans of tables larger than the buffers (read model rebuild, ledger check) read through the
 * page cache instead.
 */
export const EMBEDDED_POSTGRES_SETTINGS: Readonly<Record<string, string>> = {
  shared_buffers: '16MB',
};

/** PGlite's default start parameters plus {@link EMBEDDED_POSTGRES_SETTINGS} as `-c name=value`. */
export function embeddedStartParams(): string[] {
  return [...PGlite.defaultStartParams, ...Object.entries(EMBEDDED_POSTGRES_SETTINGS).flatMap(([name, value]) => ['-c', `${name}=${value}`])];
}

/**
 * The same settings for initdb (added to PGlite's own initdb arguments): a new database's
 * postgresql.conf says what it runs with, so a tool that opens the folder with a plain PGlite
 * gets them too, and initdb's own backend touches less memory.
 */
export function embeddedInitDbParams(): string[] {
  return Object.entries(EMBEDDED_POSTGRES_SETTINGS).flatMap(([name, value]) => ['--set', `${name}=${value}`]);
}

/**
 * Opens one service's own database. Embedded: the PGlite under the data folder, created on
 * first use and migrated on every open (a no-op when up to date). PostgreSQL: a pooled
 * adapter for `url`; migrations are the migrate job's business unless `migrate` is set.
 */
export async function openServiceDatabase(options: ServiceDatabaseOptions): Promise<ServiceDatabase> {
  const location = options.schema ?? schemaLocationOf(options.service);
  if (options.mode === 'embedded') {
    const where = embeddedDatabaseLocation(options.dataDir, options.service);
    if (where.shared) return openSharedSchema(options.service, where, location);
    const embedded = await createEmbedded(where.dir);
    const { db } = embedded;
    try {
      const { applied } = await applyMigrations({ kind: 'pglite', db }, location);
      return {
        service: options.service,
        mode: 'embedded',
        adapter: pgliteAdapter(db),
        sql: pgliteSqlClient(db),
        appliedMigrations: applied,
        close: embedded.close,
      };
    } catch (err) {
      await embedded.close();
      throw err;
    }
  }
  const applied = options.migrate ? (await applyMigrations({ kind: 'postgres', url: options.url }, location)).applied : [];
  const sql = pgSqlClient(options.url);
  return {
    service: options.service,
    mode: 'postgres',
    adapter: new PrismaPg({ connectionString: options.url }),
    sql,
    appliedMigrations: applied,
    close: () => sql.end(),
  };
}

/** An open embedded database, checkpointed while open (startCheckpoints); `close` stops that first. */
interface EmbeddedDatabase {
  db: PGlite;
  close(): Promise<void>;
}

async function createEmbedded(dir: string): Promise<EmbeddedDatabase> {
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, 'PG_VERSION'))) await initdbInItsOwnProcess(dir);
  const db = await PGlite.create(dir, { startParams: embeddedStartParams(), initDbStartParams: embeddedInitDbParams() });
  const checkpoints = startCheckpoints(db);
  return {
    db,
    close: async () => {
      await checkpoints.stop();
      await db.close();
    },
  };
}

const INITDB_PROCESS = `
const { PGlite } = require(process.env.SLUICE_INITDB_PGLITE);
const { dir, startParams, initDbStartParams } = JSON.parse(process.env.SLUICE_INITDB_OPTIONS);
PGlite.create(dir, { startParams, initDbStartParams }).then((db) => db.close());
`;

/**
 * Creates a new database in a child process that exits when it is done: initdb runs a second
 * WASM module and backend (hundreds of MB); freed in this process, the allocator would keep most
 * of it resident, while a process's exit returns all of it.
 */
async function initdbInItsOwnProcess(dir: string): Promise<void> {
  const child = spawn(process.execPath, ['-e', INITDB_PROCESS], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      SLUICE_INITDB_PGLITE: require.resolve('@electric-sql/pglite'),
      SLUICE_INITDB_OPTIONS: JSON.stringify({ dir, startParams: embeddedStartParams(), initDbStartParams: embeddedInitDbParams() }),
    },
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-2000)));
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`creating the database at ${dir} failed (exit code ${code}): ${stderr.trim()}`))));
  });
}

interface SharedDatabase {
  db: PGlite;
  close(): Promise<void>;
  users: number;
  /** Applied at open, per schema; reported to the first service to open its schema. */
  applied: Map<string, string[]>;
}

/** The shared databases this thread has open, by folder; closed when their last service closes. */
const sharedDatabases = new Map<string, Promise<SharedDatabase>>();

/**
 * Opens the shared database once per thread and migrates every sharing service's schema before
 * any of them runs a statement: migrations run in the session's search_path, which a service's
 * statements would otherwise change under them.
 */
async function openSharedSchema(service: ServiceName, where: EmbeddedLocation, location: SchemaLocation): Promise<ServiceDatabase> {
  let opening = sharedDatabases.get(where.dir);
  if (opening === undefined) {
    opening = (async () => {
      const embedded = await createEmbedded(where.dir);
      const { db } = embedded;
      try {
        const applied = new Map<string, string[]>();
        for (const name of SHARED_EMBEDDED_SERVICES) {
          await useSchema(db, name);
          applied.set(name, (await applyMigrations({ kind: 'pglite', db, schema: name }, name === service ? location : schemaLocationOf(name))).applied);
        }
        return { db, close: embedded.close, users: 0, applied };
      } catch (err) {
        await embedded.close();
        throw err;
      }
    })();
    sharedDatabases.set(where.dir, opening);
    opening.catch(() => sharedDatabases.delete(where.dir));
  }
  const shared = await opening;
  // Its last service closed it while this one waited for the open.
  if (shared.db.closed) return openSharedSchema(service, where, location);
  shared.users += 1;
  const appliedMigrations = shared.applied.get(where.schema) ?? [];
  shared.applied.delete(where.schema);
  let closed = false;
  return {
    service,
    mode: 'embedded',
    adapter: sharedDatabaseRefusal(service),
    sql: pgliteSqlClient(shared.db, { schema: where.schema }),
    appliedMigrations,
    close: async () => {
      if (closed) return;
      closed = true;
      shared.users -= 1;
      if (shared.users > 0) return;
      sharedDatabases.delete(where.dir);
      await shared.close();
    },
  };
}
