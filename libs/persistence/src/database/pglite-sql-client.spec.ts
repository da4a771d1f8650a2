import { PGlite } from '@electric-sql/pglite';
import type { EventLog, OutgoingRecord } from '@sluice/eventlog';
import { decodeEvent } from '@sluice/events';
import { applyOnce } from '../consumer/idempotent-consumer';
import { applyMigrations } from '../migrate/migrate';
import { appendToOutbox } from '../outbox/outbox';
import { OutboxRelay } from '../outbox/outbox-relay';
import type { RawSqlClient, TransactionalClient } from '../raw-sql-client';
import { fixtureSchema, walletCredited } from '../testing/fixture-database';
import { requireVmModulesForPglite } from '../testing/pglite-under-jest';
import { pgliteSqlClient } from './pglite-sql-client';

requireVmModulesForPglite();
jest.setTimeout(60_000);

const counter = async (sql: RawSqlClient, name: string) =>
  (await sql.$queryRaw<{ value: number }[]>`SELECT value FROM counter WHERE name = ${name}`)[0]?.value ?? 0;
const increment = (tx: RawSqlClient, name: string, by: number) =>
  tx.$executeRaw`INSERT INTO counter (name, value) VALUES (${name}, ${by}) ON CONFLICT (name) DO UPDATE SET value = counter.value + ${by}`;

describe('pgliteSqlClient (the write side on embedded PGlite without Prisma)', () => {
  let db: PGlite;
  let sql: TransactionalClient;
  beforeAll(async () => {
    db = await PGlite.create('memory://');
    await applyMigrations({ kind: 'pglite', db }, fixtureSchema);
    sql = pgliteSqlClient(db);
  });
  afterAll(() => db.close());

  it('binds interpolated values as parameters, never as SQL text', async () => {
    const hostile = "x'); DELETE FROM counter; --";
    await increment(sql, 'kept', 1);
    const [row] = await sql.$queryRaw<{ v: string }[]>`SELECT ${hostile}::text AS v`;
    expect(row.v).toBe(hostile);
    expect(await counter(sql, 'kept')).toBe(1);
  });

  it('binds every kind of value the write side passes, inside a transaction as outside', async () => {
    const texts = ['plain', 'with "quotes"', 'back\\slash', 'comma, {brace}', '', 'NULL', null];
    const bytes = Buffer.from([0, 1, 254, 255]);
    const at = new Date('2026-01-02T03:04:05.678Z');
    const read = (client: RawSqlClient) => client.$queryRaw<{ texts: (string | null)[]; flags: boolean[]; nums: number[]; big: bigint; raw: Uint8Array; at: Date; doc: unknown; missing: string | null }[]>`
      SELECT ${texts}::text[] AS texts, ${[true, false]}::bool[] AS flags, ${[1, 2.5]}::float8[] AS nums, ${'9007199254740993'}::bigint AS big,
        ${bytes}::bytea AS raw, ${at}::timestamptz AS at, ${{ a: [1, 'x'], n: 12n }}::jsonb AS doc, ${null}::text AS missing`;
    const expected = { texts, flags: [true, false], nums: [1, 2.5], big: 9007199254740993n, at, doc: { a: [1, 'x'], n: '12' }, missing: null };
    const [outside] = await read(sql);
    const [inside] = await sql.$transaction(async (tx) => read(tx));
    for (const row of [outside, inside]) {
      expect(row).toMatchObject(expected);
      expect(Buffer.from(row.raw)).toEqual(bytes);
    }
  });

  it('reads values the way Prisma raw queries do: int8 as bigint, json parsed, arrays as arrays', async () => {
    const [row] = await sql.$queryRaw<{ big: bigint; doc: { a: number }; ids: string[]; at: Date }[]>`
      SELECT ${'9007199254740993'}::bigint AS big, ${JSON.stringify({ a: 1 })}::jsonb AS doc, ${['p', 'q']}::text[] AS ids,
        ${'2026-01-02T03:04:05.000Z'}::timestamptz AS at`;
    expect(row).toEqual({ big: 9007199254740993n, doc: { a: 1 }, ids: ['p', 'q'], at: new Date('2026-01-02T03:04:05.000Z') });
  });

  it('counts the rows a statement changed', async () => {
    await increment(sql, 'a', 1);
    await increment(sql, 'b', 1);
    expect(await sql.$executeRaw`UPDATE counter SET value = 0 WHERE name = ANY(${['a', 'b', 'missing']}::text[])`).toBe(2);
  });

  it('commits a transaction whole, and keeps nothing of one that throws', async () => {
    await sql.$transaction(async (tx) => {
      await increment(tx, 'tx-ok', 1);
      await increment(tx, 'tx-ok', 2);
    });
    await expect(
      sql.$transaction(async (tx) => {
        await increment(tx, 'tx-failed', 5);
        throw new Error('decider said no');
      }),
    ).rejects.toThrow('decider said no');
    expect(await counter(sql, 'tx-ok')).toBe(3);
    expect(await counter(sql, 'tx-failed')).toBe(0);
  });

  it('runs a statement outside a transaction after the open one ended, committed on its own', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let wrote: () => void = () => undefined;
    const written = new Promise<void>((resolve) => (wrote = resolve));
    const open = sql.$transaction(async (tx) => {
      await increment(tx, 'held', 1);
      wrote();
      await gate;
    });
    await written;
    const read = counter(sql, 'held');
    const settled = await Promise.race([read.then(() => 'read'), new Promise((resolve) => setTimeout(() => resolve('waiting'), 50))]);
    release();
    expect(settled).toBe('waiting');
    await open;
    expect(await read).toBe(1);
    // Called in this order, they run in this order.
    const first = sql.$transaction(async (tx) => {
      await increment(tx, 'ordered', 1);
    });
    expect(await counter(sql, 'ordered')).toBe(1);
    await first;
    await increment(sql, 'alone', 4);
    await expect(sql.$transaction(async () => Promise.reject(new Error('later transaction failed')))).rejects.toThrow('later transaction failed');
    expect(await counter(sql, 'alone')).toBe(4);
    await expect(sql.$queryRaw`SELECT missing_column FROM counter`).rejects.toThrow('missing_column');
    expect(await counter(sql, 'alone')).toBe(4);
  });

  it('parses and plans a statement once: later calls, in or out of a transaction, bind the prepared one', async () => {
    const prepared = async () =>
      (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement LIKE '%prepared-once%'`)).rows[0].n;
    const read = (client: RawSqlClient, name: string) => client.$queryRaw<{ v: string }[]>`SELECT ${name}::text AS v /* prepared-once */`;
    expect(await read(sql, 'a')).toEqual([{ v: 'a' }]);
    expect(await read(sql, 'b')).toEqual([{ v: 'b' }]);
    expect(await sql.$transaction(async (tx) => read(tx, 'c'))).toEqual([{ v: 'c' }]);
    expect(await prepared()).toBe(1);
  });

  it('runs statements unprepared past its limit of prepared ones', async () => {
    const small = pgliteSqlClient(db, { preparedStatements: 1 });
    const named = async () => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement LIKE '%past-limit%'`)).rows[0].n;
    for (const v of [1, 2]) {
      expect(await small.$queryRaw`SELECT ${v}::int AS v /* past-limit one */`).toEqual([{ v }]);
      expect(await small.$queryRaw`SELECT ${v}::int AS w /* past-limit two */`).toEqual([{ w: v }]);
    }
    expect(await named()).toBe(1);
  });

  it('keeps working after a first call that failed, and after a table changed shape', async () => {
    const divide = (by: number) => sql.$queryRaw<{ q: number }[]>`SELECT (6 / ${by}::int)::int AS q /* divide */`;
    await expect(divide(0)).rejects.toThrow('division by zero');
    expect(await divide(2)).toEqual([{ q: 3 }]);
    await expect(sql.$queryRaw`SELEC ${1}::int /* typo */`).rejects.toThrow('syntax error');
    await expect(sql.$queryRaw`SELEC ${1}::int /* typo */`).rejects.toThrow('syntax error');

    await db.exec('CREATE TABLE reshaped (id text PRIMARY KEY)');
    const all = (client: RawSqlClient) => client.$queryRaw<Record<string, unknown>[]>`SELECT * FROM reshaped WHERE id = ${'r1'}`;
    await sql.$executeRaw`INSERT INTO reshaped (id) VALUES (${'r1'})`;
    expect(await all(sql)).toEqual([{ id: 'r1' }]);
    await db.exec('ALTER TABLE reshaped ADD COLUMN note text');
    // On its own the statement is prepared again at once; in a transaction the failed call ends
    // the transaction (it is aborted anyway) and the next call prepares it again.
    expect(await all(sql)).toEqual([{ id: 'r1', note: null }]);
    await db.exec('ALTER TABLE reshaped ADD COLUMN size int');
    await expect(sql.$transaction(async (tx) => all(tx))).rejects.toThrow('cached plan must not change result type');
    expect(await sql.$transaction(async (tx) => all(tx))).toEqual([{ id: 'r1', note: null, size: null }]);
  });

  it('carries the idempotent consumer and the outbox: an event delivered twice is applied and published once', async () => {
    const consumed = walletCredited();
    const produced = walletCredited('acct-2');
    for (let delivery = 0; delivery < 2; delivery++) {
      await applyOnce(sql, 'test.consumer', [consumed], async (tx) => {
        await increment(tx, 'applied', 1);
        await appendToOutbox(tx, [produced]);
      });
    }
    const published: OutgoingRecord[] = [];
    const log: Pick<EventLog, 'publish'> = { publish: async (_topic, records) => void published.push(...records) };
    await new OutboxRelay({ client: sql, log }).publishPending();
    expect(await counter(sql, 'applied')).toBe(1);
    expect(published.map((r) => decodeEvent({ key: r.key, value: r.value, headers: r.headers ?? {} }).eventId)).toEqual([produced.eventId]);
  });

  it('vacuums a table whose rows come and go (as autovacuum would): its file stops growing', async () => {
    const churn = async (client: TransactionalClient) => {
      await client.$executeRaw`CREATE TABLE IF NOT EXISTS inbox (id int PRIMARY KEY, body text)`;
      const size = async () => Number((await client.$queryRaw<{ n: bigint }[]>`SELECT pg_relation_size('inbox') AS n`)[0].n);
      const sizes: number[] = [];
      for (let round = 0; round < 40; round++) {
        const ids = Array.from({ length: 500 }, (_, i) => round * 500 + i);
        await client.$executeRaw`INSERT INTO inbox (id, body) SELECT id, repeat('x', 200) FROM unnest(${ids}::int[]) AS id`;
        await client.$executeRaw`DELETE FROM inbox WHERE id = ANY(${ids}::int[])`;
        // The maintenance runs after the commit, on its own.
        await new Promise((resolve) => setTimeout(resolve, 20));
        sizes.push(await size());
      }
      return sizes;
    };
    const unmaintained = await PGlite.create('memory://');
    try {
      const grown = await churn(pgliteSqlClient(unmaintained, { autoAnalyze: false }));
      const kept = await churn(sql);
      // Never vacuumed, the 20,000 dead rows fill ~700 pages; vacuumed, their space is reused.
      expect(grown[39]).toBeGreaterThan(4_000_000);
      expect(kept[39]).toBeLessThan(grown[39] / 4);
      expect(kept[39]).toBeLessThanOrEqual(Math.max(...kept.slice(0, 10)) * 2);
    } finally {
      await unmaintained.close();
    }
  });
});
