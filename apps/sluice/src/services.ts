import { join } from 'node:path';
import type { ServiceName } from '@sluice/events';
import type { ServiceDefinition } from '@sluice/platform';

/**
 * The launcher hosts the five services the way a supervisor would: it loads each app's
 * `service.ts` by path at run time instead of importing it, so apps stay independent
 * (apps never import apps) and the embedded engine runs exactly what the Deployments run.
 * The API starts first so that its health view sees the others arrive.
 */
export const SERVICE_ORDER: readonly ServiceName[] = ['api', 'billing', 'scheduler', 'router', 'files'];

export function loadService(name: ServiceName): ServiceDefinition {
  const entry = join(__dirname, '..', '..', name, 'src', 'service');
  const exported = Object.values(require(entry) as Record<string, unknown>).find(isServiceDefinition);
  if (!exported || exported.name !== name) throw new Error(`${entry} does not export the ${name} service`);
  return exported;
}

function isServiceDefinition(value: unknown): value is ServiceDefinition {
  return typeof value === 'object' && value !== null && 'name' in value && 'start' in value;
}
