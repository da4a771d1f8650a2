import type { PGlite, Transaction } from '@electric-sql/pglite';
import type { RawSqlClient, TransactionalClient } from '../raw-sql-client';

const INT8_OID = 20;
/** Prisma's raw queries return int8 as bigint; so does this client, so code written for either agrees. */
const PARSERS = { [INT8_OID]: (value: string) => BigInt(value) };

type Queryable = Pick<PGlite, 'query'> | Pick<Transaction, 'query'>;

const statements = new WeakMap<TemplateStringsArray, string>();

/** `SELECT ${a}, ${b}` → `SELECT $1, $2`: each interpolated value becomes a bound parameter, as in Prisma's $queryRaw. */
export function parameterisedSql(strings: TemplateStringsArray): string {
  let sql = statements.get(strings);
  if (sql === undefined) {
    sql = strings.reduce((text, part, i) => `${text}$${i}${part}`);
    statements.set(strings, sql);
  }
  return sql;
}

function rawClient(db: Queryable): RawSqlClient {
  return {
    async $queryRaw<T>(strings: TemplateStringsArray, ...values: unknown[]): Promise<T> {
      const result = await db.query(parameterisedSql(strings), values, { parsers: PARSERS });
      return result.rows as T;
    },
    async $executeRaw(strings: TemplateStringsArray, ...values: unknown[]): Promise<number> {
      const result = await db.query(parameterisedSql(strings), values, { parsers: PARSERS });
      return result.affectedRows ?? 0;
    },
  };
}

/**
 * Raw SQL and transactions straight on an embedded PGlite, for the write side's hot paths
 * (consumers, outbox, commands): the same tagged-template calls as a Prisma client's
 * `$queryRaw` / `$executeRaw` / `$transaction`, without the query engine in between, which
 * costs more than the query itself on small statements. PGlite runs one statement or one
 * transaction at a time; a query outside a transaction waits for the open one to end.
 */
export function pgliteSqlClient(db: PGlite): TransactionalClient {
  return {
    ...rawClient(db),
    $transaction: (fn) => db.transaction((tx) => fn(rawClient(tx))),
  };
}
