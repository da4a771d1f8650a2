import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { requireVmModulesForPglite } from '../testing/pglite-under-jest';
import { startCheckpoints } from './embedded-checkpoints';

requireVmModulesForPglite();
jest.setTimeout(120_000);

const SEGMENT = 16 * 1024 * 1024;
const segments = (dir: string) => readdirSync(join(dir, 'pg_wal')).filter((name) => /^[0-9A-F]{24}$/.test(name)).length;

/** Writes about `megabytes` of WAL (rows of 1 KB), one statement per 4 MB, giving the loop a turn between them. */
async function writeWal(db: PGlite, megabytes: number): Promise<void> {
  for (let i = 0; i < megabytes / 4; i++) {
    await db.exec(`INSERT INTO t SELECT repeat('x', 1000) FROM generate_series(1, 4000)`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('startCheckpoints (PGlite has no checkpointer)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-checkpoints-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps pg_wal from growing while WAL is written: without it every segment since the open stays', async () => {
    const db = await PGlite.create(join(dir, 'db'));
    await db.exec('CREATE TABLE t (v text)');
    const before = segments(join(dir, 'db'));
    await writeWal(db, 200);
    const unchecked = segments(join(dir, 'db'));
    expect(unchecked - before).toBeGreaterThanOrEqual(10);

    const checkpoints = startCheckpoints(db, { walBytes: 2 * SEGMENT, pollMs: 20 });
    await writeWal(db, 200);
    await checkpoints.stop();
    expect(checkpoints.count).toBeGreaterThanOrEqual(3);
    // The segments before each checkpoint are recycled as the next ones (up to what PostgreSQL keeps ready) or removed.
    expect(segments(join(dir, 'db'))).toBeLessThanOrEqual(unchecked + 2);
    await db.close();
  });

  it('checkpoints a quiet database once its oldest WAL is older than the maximum age, and stops before the database closes', async () => {
    const db = await PGlite.create(join(dir, 'db'));
    await db.exec('CREATE TABLE t (v text)');
    const redo = async () => (await db.query<{ redo_lsn: string }>('SELECT redo_lsn::text FROM pg_control_checkpoint()')).rows[0].redo_lsn;
    const first = await redo();
    const checkpoints = startCheckpoints(db, { maxAgeMs: 100, pollMs: 20 });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(checkpoints.count).toBe(1);
    expect(await redo()).not.toBe(first);
    await checkpoints.stop();
    await db.close();
  });
});
