import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { schemaLocationOf } from '../services';
import { PrismaClient, walletCredited } from '../testing/fixture-database';
import { embeddedDatabaseDir, openServiceDatabase } from './open-service-database';
import { requireVmModulesForPglite } from '../testing/pglite-under-jest';

requireVmModulesForPglite();
jest.setTimeout(60_000);

describe('openServiceDatabase, embedded (PGlite)', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'sluice-data-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('creates and migrates the service database under <dataDir>/db/<service>, keeps data across reopen', async () => {
    const migrationFolders = readdirSync(schemaLocationOf('billing').migrationsDir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
    const event = walletCredited();

    const first = await openServiceDatabase({ service: 'billing', mode: 'embedded', dataDir });
    // The fixture client only touches the infrastructure tables, which every service has.
    const prisma = new PrismaClient({ adapter: first.adapter });
    await prisma.processedEvent.create({ data: { consumer: 'billing.wallets', eventId: event.eventId } });
    await prisma.$disconnect();
    await first.close();

    const second = await openServiceDatabase({ service: 'billing', mode: 'embedded', dataDir });
    const reopened = new PrismaClient({ adapter: second.adapter });
    const rows = await reopened.processedEvent.findMany();
    await reopened.$disconnect();
    await second.close();

    expect(first.appliedMigrations).toEqual(migrationFolders);
    expect(second.appliedMigrations).toEqual([]);
    expect(rows.map((row) => row.eventId)).toEqual([event.eventId]);
    expect(existsSync(join(embeddedDatabaseDir(dataDir, 'billing'), 'PG_VERSION'))).toBe(true);
  });

  it('gives every service its own database', async () => {
    const billing = await openServiceDatabase({ service: 'billing', mode: 'embedded', dataDir });
    const billingClient = new PrismaClient({ adapter: billing.adapter });
    await billingClient.processedEvent.create({ data: { consumer: 'billing.wallets', eventId: walletCredited().eventId } });
    await billingClient.$disconnect();
    await billing.close();

    const files = await openServiceDatabase({ service: 'files', mode: 'embedded', dataDir });
    const filesClient = new PrismaClient({ adapter: files.adapter });
    const count = await filesClient.processedEvent.count();
    await filesClient.$disconnect();
    await files.close();

    expect(count).toBe(0);
  });
});
