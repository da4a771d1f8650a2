/**
 * Sluice as deployed: each service its own process (`npm run start:<service>`, the command the
 * Helm chart runs) on a real Kafka broker and PostgreSQL server (started here as the
 * integration suites start them), the demo market in this process, blobs in a shared folder.
 * What a benchmark measures through `url` then includes the network hops and the separate
 * processes; on this 2-core machine the broker, the database and all five services share the cores.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadCatalogue } from '@sluice/catalogue';
import { startDemoMarket } from '@sluice/demo-market';
import { freePort, startKafkaBroker, startPostgres } from '@sluice/testing';

const SERVICES = ['api', 'scheduler', 'router', 'billing', 'files'] as const;
const ROOT = join(__dirname, '..', '..');

export interface DistributedExchange {
  url: string;
  stop(): Promise<void>;
}

const exited = (child: ChildProcess) => new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));

/** Starts the servers, migrates the five databases, spawns the five services and waits for /healthz. */
export async function startDistributedExchange(adminKey: string, env: Record<string, string> = {}): Promise<DistributedExchange> {
  const blobDir = mkdtempSync(join(tmpdir(), 'sluice-bench-distributed-'));
  const [kafka, postgres] = await Promise.all([startKafkaBroker(), startPostgres()]);
  const market = await startDemoMarket(loadCatalogue(), { latencyScale: Number(env.SLUICE_DEMO_LATENCY_SCALE ?? '0') });
  const endpoints = Object.fromEntries(Object.entries(market.providers).map(([id, baseUrl]) => [id, { baseUrl, apiKey: market.apiKeys[id] }]));
  const port = await freePort();
  const children: ChildProcess[] = [];
  let stopping = false;
  const stop = async () => {
    // The services log their lost broker connections while the broker stops: not worth showing.
    stopping = true;
    children.forEach((c) => c.exitCode === null && c.kill('SIGTERM'));
    await Promise.race([Promise.all(children.map(exited)), sleep(15_000)]);
    children.forEach((c) => c.exitCode === null && c.kill('SIGKILL'));
    await market.stop();
    await kafka.stop();
    await postgres.stop();
    rmSync(blobDir, { recursive: true, force: true });
  };
  try {
    for (const service of SERVICES) {
      const child = spawn('npm', ['run', '--silent', `start:${service}`], {
        cwd: ROOT,
        stdio: ['ignore', 'ignore', 'pipe'],
        env: {
          ...process.env,
          KAFKA_BROKERS: kafka.brokers.join(','),
          DATABASE_URL: await postgres.createDatabase(`bench_${service}`),
          MIGRATE_ON_START: 'true',
          HEARTBEAT_INTERVAL_MS: '2000',
          BLOB_STORE: 'fs',
          BLOB_DIR: blobDir,
          SLUICE_PROVIDER_ENDPOINTS: JSON.stringify(endpoints),
          ...(service === 'api' ? { PORT: String(port), SLUICE_ADMIN_KEY: adminKey } : {}),
          ...env,
        },
      });
      child.stderr?.on('data', (chunk: Buffer) => stopping || process.stderr.write(`[${service}] ${chunk}`));
      children.push(child);
    }
    const url = `http://127.0.0.1:${port}`;
    const giveUpAt = Date.now() + 180_000;
    for (;;) {
      const healthy = await fetch(`${url}/healthz`).then((r) => r.status === 200, () => false);
      if (healthy) break;
      if (Date.now() > giveUpAt) throw new Error('the distributed exchange did not become healthy within 3 minutes');
      if (children.some((c) => c.exitCode !== null)) throw new Error('a service exited while starting (its stderr is above)');
      await sleep(500);
    }
    return { url, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
