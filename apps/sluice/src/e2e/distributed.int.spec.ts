import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createTestDatabase, freePort, testKafkaBrokers } from '@sluice/testing';
import { waitForHealthy } from './http';

jest.setTimeout(120_000);

const root = join(__dirname, '..', '..', '..', '..');
const SERVICES = ['api', 'scheduler', 'router', 'billing', 'files'] as const;

/** As `npm run start:<service>` runs it (the Helm chart's command): compiled into dist/ by tools/build.cjs. */
function startService(service: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [`dist/apps/${service}/src/main.js`], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[${service}] ${chunk}`));
  return child;
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', resolve)));

describe('distributed engine: one process per service on Kafka and PostgreSQL', () => {
  const children: ChildProcess[] = [];
  beforeAll(() => {
    expect(spawnSync(process.execPath, ['tools/build.cjs'], { cwd: root, stdio: 'inherit' }).status).toBe(0);
  });
  afterAll(() => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));

  it('serves /healthz with all five services up, each its own probes, and each stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const brokers = testKafkaBrokers().join(',');
    const probePorts: Record<string, number> = {};
    for (const service of SERVICES) {
      probePorts[service] = await freePort();
      const env = {
        KAFKA_BROKERS: brokers,
        DATABASE_URL: await createTestDatabase(`dist_${service}`),
        HEARTBEAT_INTERVAL_MS: '500',
        MIGRATE_ON_START: 'true',
        PORT: String(port),
        HEALTH_PORT: String(probePorts[service]),
      };
      children.push(startService(service, env));
    }
    const { status, body } = await waitForHealthy(`http://127.0.0.1:${port}`, 90_000);
    expect({ status, body }).toMatchObject({ status: 200, body: { log: { kind: 'kafka', ok: true } } });
    for (const service of SERVICES) expect(body?.services[service].status).toBe('up');
    // The Helm chart's probes: every pod answers for itself.
    for (const service of SERVICES) {
      const ready = await fetch(`http://127.0.0.1:${probePorts[service]}/readyz`);
      expect({ service, status: ready.status, body: await ready.json() }).toMatchObject({ service, status: 200, body: { service, status: 'ok' } });
      expect((await fetch(`http://127.0.0.1:${probePorts[service]}/livez`)).status).toBe(200);
    }

    children.forEach((c) => c.kill('SIGTERM'));
    expect(await Promise.all(children.map(exited))).toEqual(SERVICES.map(() => 0));
  });

  it('refuses to start a service with missing settings and names them', () => {
    const run = spawnSync(process.execPath, ['-r', './tools/register.cjs', 'apps/router/src/main.ts'], {
      cwd: root,
      env: { ...process.env, KAFKA_BROKERS: '', DATABASE_URL: '' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('router: invalid configuration');
    expect(run.stderr).toMatch(/KAFKA_BROKERS/);
    expect(run.stderr).toMatch(/DATABASE_URL/);
  });
});
