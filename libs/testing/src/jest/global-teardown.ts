import { startedTestServers } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  const servers = startedTestServers();
  if (!servers) return;
  await Promise.all([servers.kafka?.stop(), servers.postgres?.stop(), servers.s3?.stop()]);
}
