import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { ServiceName } from '@sluice/events';
import { applyMigrations } from '../migrate/migrate';
import { schemaLocationOf } from '../services';
import { PrismaClient, walletCredited } from '../testing/fixture-database';
import { embeddedDatabaseLocation, openServiceDatabase, type ServiceDatabase } from './open-service-database';
import { requireVmModulesForPglite } from '../testing/pglite-under-jest';

requireVmModulesForPglite();
jest.setTimeout(60_000);

const migrationFolders = (service: ServiceName) =>
  readdirSync(schemaLocationOf(service).migrationsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
const processed = async (database: ServiceDatabase) =>
  (await database.sql.$queryRaw<{ consumer: string }[]>`SELECT consumer FROM processed_event ORDER BY consumer`).map((row) => row.consumer);
const markProcessed = (database: ServiceDatabase, consumer: string) =>
  database.sql.$executeRaw`INSERT INTO processed_event (consumer, event_id) VALUES (${consumer}, ${walletCredited().eventId}::uuid)`;

describe('openServiceDatabase, embedded (PGlite)', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'sluice-data-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('creates and migrates the API database under <dataDir>/db/api, keeps data across reopen', async () => {
    const event = walletCredited();
    const first = await openServiceDatabase({ service: 'api', mode: 'embedded', dataDir });
    // The fixture client only touches the infrastructure tables, which every service has.
    const prisma = new PrismaClient({ adapter: first.adapter });
    await prisma.processedEvent.create({ data: { consumer: 'api.read-models', eventId: event.eventId } });
    await prisma.$disconnect();
    await first.close();

    const second = await openServiceDatabase({ service: 'api', mode: 'embedded', dataDir });
    const reopened = new PrismaClient({ adapter: second.adapter });
    const rows = await reopened.processedEvent.findMany();
    await reopened.$disconnect();
    await second.close();

    expect(first.appliedMigrations).toEqual(migrationFolders('api'));
    expect(second.appliedMigrations).toEqual([]);
    expect(rows.map((row) => row.eventId)).toEqual([event.eventId]);
    expect(existsSync(join(dataDir, 'db', 'api', 'PG_VERSION'))).toBe(true);
  });

  it('keeps billing, scheduler, router and files in one database under <dataDir>/db/services, one schema each', async () => {
    const billing = await openServiceDatabase({ service: 'billing', mode: 'embedded', dataDir });
    const files = await openServiceDatabase({ service: 'files', mode: 'embedded', dataDir });
    // Statements and transactions of the two interleave on the one PGlite.
    await Promise.all([
      ...Array.from({ length: 20 }, (_, i) => markProcessed(billing, `billing-${String(i).padStart(2, '0')}`)),
      ...Array.from({ length: 20 }, (_, i) => files.sql.$transaction(async (tx) => tx.$executeRaw`INSERT INTO processed_event (consumer, event_id) VALUES (${`files-${String(i).padStart(2, '0')}`}, ${walletCredited().eventId}::uuid)`)),
    ]);
    const [billingRows, filesRows] = [await processed(billing), await processed(files)];
    const [billingTables] = await billing.sql.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'billing' AND table_name = 'ledger_entry'`;
    const [filesTables] = await files.sql.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'files' AND table_name = 'ledger_entry'`;
    // Closing one leaves the others' database open.
    await billing.close();
    await markProcessed(files, 'files-zz');
    const filesAfter = await processed(files);
    await files.close();

    expect(billingRows).toEqual(Array.from({ length: 20 }, (_, i) => `billing-${String(i).padStart(2, '0')}`));
    expect(filesRows).toEqual(Array.from({ length: 20 }, (_, i) => `files-${String(i).padStart(2, '0')}`));
    expect([billingTables.n, filesTables.n]).toEqual([1n, 0n]);
    expect(filesAfter).toHaveLength(21);
    expect(billing.appliedMigrations).toEqual(migrationFolders('billing'));
    expect(files.appliedMigrations).toEqual(migrationFolders('files'));
    expect(readdirSync(join(dataDir, 'db'))).toEqual(['services']);

    const reopened = await openServiceDatabase({ service: 'billing', mode: 'embedded', dataDir });
    const rows = await processed(reopened);
    await reopened.close();
    expect(rows).toHaveLength(20);
    expect(reopened.appliedMigrations).toEqual([]);
  });

  it('refuses Prisma on a shared database, saying why, rather than reach into the public schema', async () => {
    const router = await openServiceDatabase({ service: 'router', mode: 'embedded', dataDir });
    const prisma = new PrismaClient({ adapter: router.adapter });
    const attempt = prisma.processedEvent.count();
    await expect(attempt).rejects.toThrow(/router's embedded database is shared .*use ServiceDatabase\.sql/);
    await prisma.$disconnect();
    await router.close();
  });

  it('keeps a service in a database of its own when the data folder has one (written before the sharing)', async () => {
    const own = join(dataDir, 'db', 'billing');
    mkdirSync(own, { recursive: true });
    const legacy = await PGlite.create(own);
    await applyMigrations({ kind: 'pglite', db: legacy }, schemaLocationOf('billing'));
    await legacy.query(`INSERT INTO processed_event (consumer, event_id) VALUES ('billing.old', $1)`, [walletCredited().eventId]);
    await legacy.close();

    const billing = await openServiceDatabase({ service: 'billing', mode: 'embedded', dataDir });
    const rows = await processed(billing);
    await billing.close();

    expect(embeddedDatabaseLocation(dataDir, 'billing')).toEqual({ dir: own, schema: 'public', shared: false });
    expect(embeddedDatabaseLocation(dataDir, 'files')).toEqual({ dir: join(dataDir, 'db', 'services'), schema: 'files', shared: true });
    expect(rows).toEqual(['billing.old']);
    expect(existsSync(join(dataDir, 'db', 'services'))).toBe(false);
  });
});
