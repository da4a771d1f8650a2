import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import { createEvent, WalletCredited, type SluiceEvent } from '@sluice/events';
import { PrismaClient } from '../generated/prisma/client';
import { applyMigrations, type MigrationTarget } from '../migrate/migrate';
import type { SchemaLocation } from '../migrate/migrations-folder';
import { pgliteAdapter } from '../migrate/pglite-migration-adapter';

export { PrismaClient };

/** The fixture schema: the infrastructure tables of every service plus a `counter` table. */
export const fixtureSchema: SchemaLocation = {
  schemaPath: join(__dirname, '..', '..', 'prisma', 'schema.prisma'),
  migrationsDir: join(__dirname, '..', '..', 'prisma', 'migrations'),
};

export interface FixtureDatabase {
  prisma: PrismaClient;
  close(): Promise<void>;
}

/** A migrated fixture database on PGlite: in memory, or in `dir` (kept across opens). */
export async function openFixturePglite(dir?: string): Promise<FixtureDatabase> {
  if (dir) mkdirSync(dir, { recursive: true });
  const db = await PGlite.create(dir ?? 'memory://');
  await applyMigrations({ kind: 'pglite', db }, fixtureSchema);
  const prisma = new PrismaClient({ adapter: pgliteAdapter(db) });
  return {
    prisma,
    async close() {
      await prisma.$disconnect();
      await db.close();
    },
  };
}

/** A migrated fixture database on PostgreSQL at `url` (an existing, empty database). */
export async function openFixturePostgres(url: string): Promise<FixtureDatabase> {
  const target: MigrationTarget = { kind: 'postgres', url };
  await applyMigrations(target, fixtureSchema);
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url }) });
  return { prisma, close: () => prisma.$disconnect() };
}

/** Where a crash-test child keeps its database: PGlite under `dir`, or a PostgreSQL URL. */
export type FixtureLocation = { kind: 'pglite'; dir: string } | { kind: 'postgres'; url: string };

export function openFixture(location: FixtureLocation): Promise<FixtureDatabase> {
  return location.kind === 'pglite' ? openFixturePglite(location.dir) : openFixturePostgres(location.url);
}

export async function counterValue(prisma: PrismaClient, name: string): Promise<number> {
  return (await prisma.counter.findUnique({ where: { name } }))?.value ?? 0;
}

/** An effect worth checking for double application: adds `by` to a named counter. */
export async function incrementCounter(tx: Pick<PrismaClient, 'counter'>, name: string, by = 1): Promise<void> {
  await tx.counter.upsert({ where: { name }, create: { name, value: by }, update: { value: { increment: by } } });
}

let sequence = 0;

/** A valid catalogue event; `n` makes the account (and so the partition key) differ. */
export function walletCredited(accountId = 'acct-1', amountMicros = 1_000_000): SluiceEvent {
  sequence += 1;
  return createEvent(WalletCredited, { accountId, amountMicros, reference: `test-${sequence}`, availableMicros: amountMicros }, { correlationId: `corr-${sequence}` });
}
