import { PGlite } from '@electric-sql/pglite';
import { applyMigrations, pgliteSqlClient, schemaLocationOf, type TransactionalClient } from '@sluice/persistence';
import { Admissions, admit, countReservations, dropHolds, expireHolds, settleHold, spendableMicros } from './gateway-holds';

let db: PGlite;
let sql: TransactionalClient;

beforeAll(async () => {
  db = await PGlite.create('memory://');
  await applyMigrations({ kind: 'pglite', db }, schemaLocationOf('api'));
  sql = pgliteSqlClient(db);
});
afterAll(() => db.close());

async function wallet(accountId: string, availableMicros: number): Promise<void> {
  await sql.$executeRaw`INSERT INTO balance_view (account_id, available_micros, updated_at) VALUES (${accountId}, ${String(availableMicros)}::bigint, now())`;
}

describe('gateway holds', () => {
  it('holds while the projected balance less the open holds covers the bound, and not a micro-dollar beyond', async () => {
    await wallet('a', 1_000);
    expect(await admit(sql, { accountId: 'a', objectId: 'o1', amountMicros: 600 })).toEqual({ kind: 'held' });
    expect(await admit(sql, { accountId: 'a', objectId: 'o2', amountMicros: 401 })).toEqual({ kind: 'insufficient', spendableMicros: 400 });
    expect(await admit(sql, { accountId: 'a', objectId: 'o3', amountMicros: 400 })).toEqual({ kind: 'held' });
    expect(await spendableMicros(sql, 'a')).toBe(0);
    expect(await admit(sql, { accountId: 'nobody', objectId: 'o4', amountMicros: 1 })).toEqual({ kind: 'insufficient', spendableMicros: 0 });
  });

  it('settles a hold to the actual charge (the balance counts it) and drops it when the charge is projected', async () => {
    await wallet('b', 1_000);
    await admit(sql, { accountId: 'b', objectId: 'p1', amountMicros: 600 });
    expect(await settleHold(sql, 'p1', 600, 150)).toBe(850);
    expect(await spendableMicros(sql, 'b')).toBe(850);
    // The projection of Charged lowers the balance and drops the hold in one transaction.
    await sql.$transaction(async (tx) => {
      await tx.$executeRaw`UPDATE balance_view SET available_micros = 850 WHERE account_id = 'b'`;
      await dropHolds(tx, ['p1']);
    });
    expect(await spendableMicros(sql, 'b')).toBe(850);
    expect(await settleHold(sql, 'p1', 600, 150)).toBeNull();
  });

  it('claims an Idempotency-Key with the hold: a live claim is taken, and a refused hold frees the key', async () => {
    await wallet('c', 100);
    const idempotency = { key: 'k', requestHash: 'h', now: new Date(), expiresAt: new Date(Date.now() + 60_000) };
    expect(await admit(sql, { accountId: 'c', objectId: 'q1', amountMicros: 500, idempotency })).toMatchObject({ kind: 'insufficient' });
    expect(await admit(sql, { accountId: 'c', objectId: 'q2', amountMicros: 50, idempotency })).toEqual({ kind: 'held' });
    expect(await admit(sql, { accountId: 'c', objectId: 'q3', amountMicros: 50, idempotency })).toEqual({ kind: 'key_taken' });
    expect(await spendableMicros(sql, 'c')).toBe(50);
  });

  it('expires the hold of a request that never recorded an outcome, but never a settled one', async () => {
    await wallet('d', 1_000);
    await admit(sql, { accountId: 'd', objectId: 'dead', amountMicros: 400 });
    await admit(sql, { accountId: 'd', objectId: 'answered', amountMicros: 300 });
    await settleHold(sql, 'answered', 300, 100);
    expect(await spendableMicros(sql, 'd')).toBe(500);
    await sql.$executeRaw`UPDATE gateway_hold SET expires_at = now() - interval '1 second' WHERE object_id = 'dead'`;
    expect(await expireHolds(sql)).toBe(1);
    expect(await spendableMicros(sql, 'd')).toBe(900);
    expect(await expireHolds(sql)).toBe(0);
  });

  it('frees the Idempotency-Key of a request whose hold expired, so a retry runs again', async () => {
    await wallet('g', 1_000);
    const idempotency = { key: 'crashed', requestHash: 'h', now: new Date(), expiresAt: new Date(Date.now() + 86_400_000) };
    expect(await admit(sql, { accountId: 'g', objectId: 'lost', amountMicros: 100, idempotency })).toEqual({ kind: 'held' });
    expect(await admit(sql, { accountId: 'g', objectId: 'retry', amountMicros: 100, idempotency })).toEqual({ kind: 'key_taken' });
    await sql.$executeRaw`UPDATE gateway_hold SET expires_at = now() - interval '1 second' WHERE object_id = 'lost'`;
    expect(await expireHolds(sql)).toBe(1);
    expect(await admit(sql, { accountId: 'g', objectId: 'retry', amountMicros: 100, idempotency })).toEqual({ kind: 'held' });
  });

  it.each([true, false])('admits concurrent requests of one account, joined in shared transactions (%s), never beyond the balance', async (join) => {
    const account = `e-${join}`;
    await wallet(account, 1_005);
    const admissions = new Admissions(sql, join);
    const idempotency = { key: 'same', requestHash: 'h', now: new Date(), expiresAt: new Date(Date.now() + 60_000) };
    const results = await Promise.all([
      ...Array.from({ length: 25 }, (_, i) => admissions.admit({ accountId: account, objectId: `${account}-${i}`, amountMicros: 100 })),
      ...Array.from({ length: 5 }, (_, i) => admissions.admit({ accountId: account, objectId: `${account}-k${i}`, amountMicros: 1, idempotency })),
    ]);
    expect(results.slice(0, 25).filter((r) => r.kind === 'held')).toHaveLength(10);
    expect(results.slice(25).map((r) => r.kind).sort()).toEqual(['held', 'key_taken', 'key_taken', 'key_taken', 'key_taken']);
    expect(await spendableMicros(sql, account)).toBe(4);
  });

  it('counts a served request once while billing reports its reservation, then its charge', async () => {
    await wallet('f', 1_000);
    await admit(sql, { accountId: 'f', objectId: 'r1', amountMicros: 600 });
    await settleHold(sql, 'r1', 600, 150);
    expect(await spendableMicros(sql, 'f')).toBe(850);
    // FundsReserved{r1, 600, gateway} projected: billing's balance is 400.
    await sql.$transaction(async (tx) => {
      await tx.$executeRaw`UPDATE balance_view SET available_micros = 400 WHERE account_id = 'f'`;
      await countReservations(tx, [{ objectId: 'r1', amountMicros: 600 }]);
    });
    expect(await spendableMicros(sql, 'f')).toBe(850);
    // Charged{r1, 150} projected: billing's balance is 850 and the hold ends.
    await sql.$transaction(async (tx) => {
      await tx.$executeRaw`UPDATE balance_view SET available_micros = 850 WHERE account_id = 'f'`;
      await dropHolds(tx, ['r1']);
    });
    expect(await spendableMicros(sql, 'f')).toBe(850);
    // A reservation of an object without a hold (a failed request) changes no hold.
    await sql.$transaction((tx) => countReservations(tx, [{ objectId: 'gone', amountMicros: 100 }]));
    expect(await spendableMicros(sql, 'f')).toBe(850);
  });
});
