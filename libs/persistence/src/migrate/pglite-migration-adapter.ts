import { PGlite } from '@electric-sql/pglite';
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaPGlite } from 'pglite-prisma-adapter';

/** pglite-prisma-adapter is built against an older driver-adapter-utils; the shapes agree. */
export function pgliteAdapter(db: PGlite): SqlMigrationAwareDriverAdapterFactory {
  return new PrismaPGlite(db) as unknown as SqlMigrationAwareDriverAdapterFactory;
}

/**
 * The driver adapter the schema engine migrates a PGlite database through. The adapter's
 * own shadow database is an in-memory PGlite it never closes; here `shadow` decides which
 * database plays that role and the adapter closes it when the engine is done, unless it is
 * `db` itself (a throwaway database can be its own shadow, which saves a second initdb).
 */
export function pgliteMigrationAdapter(
  db: PGlite,
  shadow: () => Promise<PGlite> = () => PGlite.create('memory://'),
): SqlMigrationAwareDriverAdapterFactory {
  const main = pgliteAdapter(db);
  return {
    provider: main.provider,
    adapterName: main.adapterName,
    connect: () => main.connect(),
    async connectToShadowDb(): Promise<SqlDriverAdapter> {
      const shadowDb = await shadow();
      const adapter = await pgliteAdapter(shadowDb).connect();
      const dispose = adapter.dispose.bind(adapter);
      adapter.dispose = async () => {
        await dispose();
        if (shadowDb !== db) await shadowDb.close();
      };
      return adapter;
    },
  };
}
