import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { parseArgs } from 'node:util';
import { applyMigrations, createMigration, diffMigrationsToSchema, migrationStatus, type MigrationTarget } from '../migrate/migrate';
import { embeddedDatabaseLocation } from '../database/open-service-database';
import { useSchema } from '../database/pglite-sql-client';
import type { ServiceName } from '@sluice/events';
import { ServiceNames, isServiceName, schemaLocationOf } from '../services';

const USAGE = `Usage: npm run migrate -- [command] [--service <name>] [--data-dir <dir>] [--name <migration>]

Commands:
  deploy (default)  apply pending migrations of one service (--service) or of all five
  status            compare the database's migration history with the migrations folder
  check             say whether each service's migrations and schema.prisma agree; exit 1 if not
  diff              print only the SQL that takes the migrations to schema.prisma; exit 1 if any
  create --name x   write apps/<service>/prisma/migrations/<timestamp>_x from that diff

Databases (deploy, status):
  --data-dir <dir>              embedded: the PGlite at <dir>/db/api, or <dir>/db/services
                                (schema <service>) for the other four
  <SERVICE>_DATABASE_URL        PostgreSQL URL of one service, e.g. BILLING_DATABASE_URL
  DATABASE_URL                  PostgreSQL URL, used with --service (one database per service)
check, diff and create need no database: they replay the migrations into an in-memory PGlite.`;

class UsageError extends Error {}

interface OpenTarget {
  target: MigrationTarget;
  close: () => Promise<void>;
}

async function openTarget(service: ServiceName, dataDir: string | undefined, single: boolean): Promise<OpenTarget> {
  if (dataDir) {
    const { dir, schema, shared } = embeddedDatabaseLocation(dataDir, service);
    mkdirSync(dir, { recursive: true });
    const db = await PGlite.create(dir);
    if (shared) await useSchema(db, schema);
    return { target: { kind: 'pglite', db, schema }, close: () => db.close() };
  }
  const perService = `${service.toUpperCase()}_DATABASE_URL`;
  // One database per service: a bare DATABASE_URL only names the database of --service.
  const url = process.env[perService] ?? (single ? process.env.DATABASE_URL : undefined);
  if (!url) {
    throw new UsageError(`no database for ${service}: set ${perService}${single ? ' or DATABASE_URL' : ' (DATABASE_URL needs --service)'}, or pass --data-dir`);
  }
  return { target: { kind: 'postgres', url }, close: async () => undefined };
}

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      service: { type: 'string' },
      'data-dir': { type: 'string' },
      name: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const command = positionals[0] ?? 'deploy';
  if (values.service !== undefined && !isServiceName(values.service)) {
    throw new UsageError(`unknown service ${values.service}; one of ${ServiceNames.join(', ')}`);
  }
  const services: readonly ServiceName[] = values.service ? [values.service as ServiceName] : ServiceNames;
  const single = services.length === 1;
  let failed = false;

  for (const service of services) {
    const location = schemaLocationOf(service);
    switch (command) {
      case 'deploy': {
        const { target, close } = await openTarget(service, values['data-dir'], single);
        try {
          const { applied } = await applyMigrations(target, location);
          console.log(`${service}: ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'}`);
        } finally {
          await close();
        }
        break;
      }
      case 'status': {
        const { target, close } = await openTarget(service, values['data-dir'], single);
        try {
          const status = await migrationStatus(target, location);
          const behind = status.history?.diagnostic === 'databaseIsBehind' ? status.history.unappliedMigrationNames : [];
          const ok = status.history === null && status.failedMigrationNames.length === 0 && status.editedMigrationNames.length === 0;
          failed ||= !ok;
          console.log(`${service}: ${ok ? 'up to date' : behind.length ? `pending ${behind.join(', ')}` : JSON.stringify(status)}`);
        } finally {
          await close();
        }
        break;
      }
      case 'check':
      case 'diff': {
        const drift = await diffMigrationsToSchema(location);
        failed ||= !drift.inSync;
        if (command === 'check') {
          console.log(`${service}: ${drift.inSync ? 'migrations match schema.prisma' : 'migrations and schema.prisma DISAGREE'}`);
          if (!drift.inSync) console.log(drift.sql);
        } else if (!drift.inSync) {
          console.log(`-- ${service}\n${drift.sql}`);
        }
        break;
      }
      case 'create': {
        if (!values.name) throw new UsageError('create needs --name <migration>');
        const folder = await createMigration(location, values.name, new Date());
        console.log(`${service}: ${folder ? `wrote ${location.migrationsDir}/${folder}` : 'no changes'}`);
        break;
      }
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  }
  return failed ? 1 : 0;
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n\n${USAGE}`);
      process.exit(2);
    }
    console.error(err);
    process.exit(1);
  },
);
