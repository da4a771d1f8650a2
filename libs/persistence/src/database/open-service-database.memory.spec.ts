import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { requireVmModulesForPglite } from '../testing/pglite-under-jest';
import { EMBEDDED_POSTGRES_SETTINGS, embeddedDatabaseLocation, embeddedStartParams, openServiceDatabase, type ServiceDatabase } from './open-service-database';

requireVmModulesForPglite();
jest.setTimeout(60_000);

/** One setting as the database reports it (as SHOW does). */
async function show(database: ServiceDatabase, name: string): Promise<string> {
  const [row] = await database.sql.$queryRaw<{ value: string }[]>`SELECT current_setting(${name}) AS value`;
  return row.value;
}

// Each embedded database's resident memory is mostly its shared memory (bench/footprint/README.md):
// PGlite touches all of it at start and its WASM memory never shrinks.
describe('openServiceDatabase, embedded: memory settings', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'sluice-data-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts with 16MB of shared buffers (PGlite would take 128MB), on a new database and on reopen', async () => {
    const first = await openServiceDatabase({ service: 'scheduler', mode: 'embedded', dataDir });
    const created = await show(first, 'shared_buffers');
    await first.close();
    const second = await openServiceDatabase({ service: 'scheduler', mode: 'embedded', dataDir });
    const reopened = await show(second, 'shared_buffers');
    const [{ bytes }] = await second.sql.$queryRaw<{ bytes: string }[]>`SELECT sum(allocated_size)::text AS bytes FROM pg_shmem_allocations`;
    await second.close();

    const conf = readFileSync(join(embeddedDatabaseLocation(dataDir, 'scheduler').dir, 'postgresql.conf'), 'utf8');

    expect(EMBEDDED_POSTGRES_SETTINGS.shared_buffers).toBe('16MB');
    expect([created, reopened]).toEqual(['16MB', '16MB']);
    // initdb wrote it too, so a plain PGlite on the folder (a tool) starts with it as well.
    expect(/^shared_buffers\s*=\s*(\S+)/m.exec(conf)?.[1]).toBe('16MB');
    // 128MB of buffers made ~146 MB of shared memory; 16MB makes ~24 MB.
    expect(Number(bytes)).toBeLessThan(32 * 1024 * 1024);
  });

  it("keeps PGlite's own start parameters (durability, single-user mode, search_path) as they were", async () => {
    // The API's database is its own (the others share one, each in its schema's search_path).
    const params = embeddedStartParams();
    expect(params.slice(0, PGlite.defaultStartParams.length)).toEqual(PGlite.defaultStartParams);
    expect(params.slice(PGlite.defaultStartParams.length)).toEqual(['-c', 'shared_buffers=16MB']);

    const plain = await PGlite.create('memory://');
    const expected: Record<string, string> = {};
    for (const name of ['fsync', 'synchronous_commit', 'full_page_writes', 'search_path', 'wal_level']) {
      expected[name] = (await plain.query<{ value: string }>('SELECT current_setting($1) AS value', [name])).rows[0].value;
    }
    await plain.close();

    const database = await openServiceDatabase({ service: 'api', mode: 'embedded', dataDir });
    const actual: Record<string, string> = {};
    for (const name of Object.keys(expected)) actual[name] = await show(database, name);
    await database.close();
    expect(actual).toEqual(expected);
  });

  it("creates a new database without initdb's memory in the process that opens it", () => {
    // In a fresh process, so its peak resident memory says what the open cost. initdb runs a
    // second WASM module and backend: run in the opening process (even on a thread that exits)
    // it took the peak up by ~680 MB, in a child process of its own by ~200 MB.
    const script = `
      const { readFileSync } = require('node:fs');
      const { openServiceDatabase } = require('./libs/persistence/src/database/open-service-database');
      const peakMB = () => Number(/VmHWM:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
      const before = peakMB();
      openServiceDatabase({ service: 'scheduler', mode: 'embedded', dataDir: process.argv[1] })
        .then(async (db) => { const grew = peakMB() - before; await db.close(); console.log(JSON.stringify({ grew })); });
    `;
    const run = spawnSync(process.execPath, ['-r', './tools/register.cjs', '-e', script, dataDir], {
      cwd: resolve(__dirname, '../../../..'),
      encoding: 'utf8',
      timeout: 50_000,
    });
    expect(run.stderr).toBe('');
    const { grew } = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as { grew: number };
    expect(grew).toBeLessThan(400);
    expect(readFileSync(join(embeddedDatabaseLocation(dataDir, 'scheduler').dir, 'PG_VERSION'), 'utf8').trim()).toMatch(/^\d+$/);
  });
});
