import type { EventLog, OutgoingRecord } from '@sluice/eventlog';
import { decodeEvent } from '@sluice/events';
import { applyOnce } from '../consumer/idempotent-consumer';
import { appendToOutbox } from '../outbox/outbox';
import { OutboxRelay } from '../outbox/outbox-relay';
import type { RawSqlClient } from '../raw-sql-client';
import { openFixturePostgres, walletCredited, type FixtureDatabase } from '../testing/fixture-database';
import { createTestDatabase } from '../testing/test-database';
import { pgSqlClient, type PgSqlClient } from './pg-sql-client';

jest.setTimeout(60_000);

const counter = async (sql: RawSqlClient, name: string) =>
  (await sql.$queryRaw<{ value: number }[]>`SELECT value FROM counter WHERE name = ${name}`)[0]?.value ?? 0;
const increment = (tx: RawSqlClient, name: string, by: number) =>
  tx.$executeRaw`INSERT INTO counter (name, value) VALUES (${name}, ${by}) ON CONFLICT (name) DO UPDATE SET value = counter.value + ${by}`;

describe('pgSqlClient (the write side on PostgreSQL without Prisma)', () => {
  let fixture: FixtureDatabase;
  let sql: PgSqlClient;
  beforeAll(async () => {
    const url = await createTestDatabase('pg_sql_client');
    fixture = await openFixturePostgres(url);
    sql = pgSqlClient(url);
  });
  afterAll(async () => {
    await sql.end();
    await fixture.close();
  });

  it('binds interpolated values as parameters and reads them the way Prisma raw queries do', async () => {
    const hostile = "x'); DELETE FROM counter; --";
    const [row] = await sql.$queryRaw<{ v: string; big: bigint; doc: { a: number }; ids: string[]; at: Date }[]>`
      SELECT ${hostile}::text AS v, ${'9007199254740993'}::bigint AS big, ${JSON.stringify({ a: 1 })}::jsonb AS doc,
        ${['p', 'q']}::text[] AS ids, ${'2026-01-02T03:04:05.000Z'}::timestamptz AS at`;
    expect(row).toEqual({ v: hostile, big: 9007199254740993n, doc: { a: 1 }, ids: ['p', 'q'], at: new Date('2026-01-02T03:04:05.000Z') });
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

  it('applies an event delivered to two instances at once only once, and publishes what it produced once', async () => {
    const consumed = walletCredited();
    const produced = walletCredited('acct-2');
    await Promise.all(
      [1, 2].map(() =>
        applyOnce(sql, 'test.consumer', [consumed], async (tx) => {
          await increment(tx, 'applied', 1);
          await appendToOutbox(tx, [produced]);
        }),
      ),
    );
    const published: OutgoingRecord[] = [];
    const log: Pick<EventLog, 'publish'> = { publish: async (_topic, records) => void published.push(...records) };
    await new OutboxRelay({ client: sql, log }).publishPending();
    expect(await counter(sql, 'applied')).toBe(1);
    expect(published.map((r) => decodeEvent({ key: r.key, value: r.value, headers: r.headers ?? {} }).eventId)).toEqual([produced.eventId]);
  });

  it('opens a new pool when used after end, as Prisma reconnects after a disconnect', async () => {
    await sql.end();
    expect(await counter(sql, 'tx-ok')).toBe(3);
  });
});
