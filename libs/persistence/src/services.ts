import { basename, dirname, join, resolve } from 'node:path';
import { ServiceName as ServiceNameSchema, type ServiceName } from '@sluice/events';
import type { SchemaLocation } from './migrate/migrations-folder';

/** The services that own a database. Each has `apps/<service>/prisma/{schema.prisma,migrations}`. */
export const ServiceNames: readonly ServiceName[] = ServiceNameSchema.options;

export function isServiceName(name: string): name is ServiceName {
  return (ServiceNames as readonly string[]).includes(name);
}

const above = resolve(__dirname, '..', '..', '..');

/** The repository root: three folders above this one, or above dist/ when services run compiled (tools/build.cjs). */
export const workspaceRoot = basename(above) === 'dist' ? dirname(above) : above;

export function schemaLocationOf(service: ServiceName, root = workspaceRoot): SchemaLocation {
  const prismaDir = join(root, 'apps', service, 'prisma');
  return { schemaPath: join(prismaDir, 'schema.prisma'), migrationsDir: join(prismaDir, 'migrations') };
}
