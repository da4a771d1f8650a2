import { join, resolve } from 'node:path';
import type { SchemaLocation } from './migrate/migrations-folder';

/** The services that own a database. Each has `apps/<service>/prisma/{schema.prisma,migrations}`. */
export const ServiceNames = ['api', 'scheduler', 'router', 'billing', 'files'] as const;
export type ServiceName = (typeof ServiceNames)[number];

export function isServiceName(name: string): name is ServiceName {
  return (ServiceNames as readonly string[]).includes(name);
}

/** The repository root: sources run in place (swc), so it is three folders above this one. */
export const workspaceRoot = resolve(__dirname, '..', '..', '..');

export function schemaLocationOf(service: ServiceName, root = workspaceRoot): SchemaLocation {
  const prismaDir = join(root, 'apps', service, 'prisma');
  return { schemaPath: join(prismaDir, 'schema.prisma'), migrationsDir: join(prismaDir, 'migrations') };
}
