import { Pool, types as pgTypes, type CustomTypesConfig, type PoolClient, type QueryResult } from 'pg';
import type { RawSqlClient, TransactionalClient } from '../raw-sql-client';
import { parameterisedSql } from './pglite-sql-client';

const INT8_OID = 20;

/** Prisma's raw queries return int8 as bigint; so does this client (pg would give a string). */
const types = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') => (oid === INT8_OID ? (value: string) => BigInt(value) : pgTypes.getTypeParser(oid, format)),
} as CustomTypesConfig;

type Queryable = Pick<PoolClient, 'query'>;

function run(db: Queryable, strings: TemplateStringsArray, values: unknown[]): Promise<QueryResult> {
  return db.query({ text: parameterisedSql(strings), values, types });
}

function rawClient(db: Queryable): RawSqlClient {
  return {
    async $queryRaw<T>(strings: TemplateStringsArray, ...values: unknown[]): Promise<T> {
      return (await run(db, strings, values)).rows as T;
    },
    async $executeRaw(strings: TemplateStringsArray, ...values: unknown[]): Promise<number> {
      return (await run(db, strings, values)).rowCount ?? 0;
    },
  };
}

export interface PgSqlClient extends TransactionalClient {
  /** Ends the pool; a later query opens a new one (as Prisma reconnects after a disconnect). */
  end(): Promise<void>;
}

/**
 * Raw SQL and transactions on PostgreSQL through `pg` directly, for the write side's hot
 * paths: the same tagged-template calls as a Prisma client's `$queryRaw` / `$executeRaw` /
 * `$transaction`, without the query engine, which costs more than a small statement itself.
 * Its pool is small and never keeps the process alive on its own.
 */
export function pgSqlClient(connectionString: string, maxConnections = 4): PgSqlClient {
  let pool: Pool | null = null;
  const poolNow = () => (pool ??= new Pool({ connectionString, max: maxConnections, allowExitOnIdle: true }));
  return {
    $queryRaw: <T>(strings: TemplateStringsArray, ...values: unknown[]) => rawClient(poolNow()).$queryRaw<T>(strings, ...values),
    $executeRaw: (strings: TemplateStringsArray, ...values: unknown[]) => rawClient(poolNow()).$executeRaw(strings, ...values),
    async $transaction<R>(fn: (tx: RawSqlClient) => Promise<R>): Promise<R> {
      const connection = await poolNow().connect();
      let broken: unknown = undefined;
      try {
        await connection.query('BEGIN');
        const result = await fn(rawClient(connection));
        await connection.query('COMMIT');
        return result;
      } catch (err) {
        await connection.query('ROLLBACK').catch((rollbackErr: unknown) => (broken = rollbackErr));
        throw err;
      } finally {
        connection.release(broken instanceof Error ? broken : undefined);
      }
    },
    async end() {
      const ending = pool;
      pool = null;
      await ending?.end();
    },
  };
}
