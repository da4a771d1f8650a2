import { PGlite } from '@electric-sql/pglite';
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaPGlite } from 'pglite-prisma-adapter';

/** pglite-prisma-adapter is built against an older driver-adapter-utils; the shapes agree. */
export function pgliteAdapter(db: PGlite, schema?: string): SqlMigrationAwareDriverAdapterFactory {
  const factory = new PrismaPGlite(db) as unknown as SqlMigrationAwareDriverAdapterFactory;
  if (schema === undefined) return factory;
  // The adapter has a schema option its factory does not pass on: the engine reads it here.
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => {
      const adapter = await factory.connect();
      const info = adapter.getConnectionInfo?.bind(adapter);
      adapter.getConnectionInfo = () => ({ ...(info?.() ?? { supportsRelationJoins: true }), schemaName: schema });
      return adapter;
    },
    connectToShadowDb: () => factory.connectToShadowDb(),
  };
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
  /** The schema the engine looks for its tables in (`public` unless given); the session's search_path must name it too. */
  schema?: string,
): SqlMigrationAwareDriverAdapterFactory {
  const main = pgliteAdapter(db, schema);
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
