import type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';

/**
 * The Prisma adapter of a service whose embedded database is shared: Prisma names every table
 * `public.<table>` and runs raw queries in whatever search_path the session has, so it would
 * read and write another schema, or none. The service's raw SQL client (`ServiceDatabase.sql`)
 * runs in its schema; Prisma refuses, at its first query, with a message that says so.
 */
export function sharedDatabaseRefusal(service: string): SqlDriverAdapterFactory {
  return {
    provider: 'postgres',
    adapterName: '@sluice/shared-embedded-database',
    connect: () =>
      Promise.reject(
        new Error(`${service}'s embedded database is shared with other services (one schema each): use ServiceDatabase.sql, which runs in the ${service} schema, not Prisma`),
      ),
  };
}
