import { createTestDatabase } from '../testing/test-database';
import { PrismaClient, walletCredited } from '../testing/fixture-database';
import { openServiceDatabase } from './open-service-database';

jest.setTimeout(60_000);

describe('openServiceDatabase, PostgreSQL', () => {
  it('migrates when asked and hands out an adapter the generated client runs on', async () => {
    const url = await createTestDatabase('open_router');
    const event = walletCredited();

    const database = await openServiceDatabase({ service: 'router', mode: 'postgres', url, migrate: true });
    const prisma = new PrismaClient({ adapter: database.adapter });
    await prisma.processedEvent.create({ data: { consumer: 'router.dispatch', eventId: event.eventId } });
    const rows = await prisma.processedEvent.findMany();
    await prisma.$disconnect();
    await database.close();

    expect(database.appliedMigrations.length).toBeGreaterThan(0);
    expect(rows.map((row) => row.eventId)).toEqual([event.eventId]);
  });

  it('leaves migrating to the migrate job by default', async () => {
    const url = await createTestDatabase('open_files');

    const database = await openServiceDatabase({ service: 'files', mode: 'postgres', url });
    const prisma = new PrismaClient({ adapter: database.adapter });
    const query = prisma.processedEvent.count();
    await expect(query).rejects.toThrow(/processed_event/);
    await prisma.$disconnect();
    await database.close();
  });
});
