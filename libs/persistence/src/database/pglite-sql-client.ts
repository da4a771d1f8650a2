import { parse, protocol, type PGlite } from '@electric-sql/pglite';
import type { RawSqlClient, TransactionalClient } from '../raw-sql-client';

const BYTEA_OID = 17;
const INT8_OID = 20;
/**
 * Prisma's raw queries return int8 as bigint; so does this client, so code written for either
 * agrees. bytea (`\x` hex in the text format) is decoded natively: PGlite's own parser makes a
 * substring and a parseInt per byte, ~10% of the embedded engine's CPU when the outbox relay
 * reads its rows back.
 */
const PARSERS = {
  [INT8_OID]: (value: string) => BigInt(value),
  [BYTEA_OID]: (value: string) => new Uint8Array(Buffer.from(value.slice(2), 'hex')),
};

type Parsers = Parameters<typeof parse.parseResults>[1];

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

/**
 * A bound value in Postgres' text input format, which the server reads as the parameter's
 * type (from its cast or its column): arrays as array literals, bytes as `\x` hex, objects as JSON.
 */
export function textParameter(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return `{${value.map(arrayElement).join(',')}}`;
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
  // As PGlite's own JSON serialiser: bigints inside become strings.
  if (typeof value === 'object') return JSON.stringify(value, (_key, inner: unknown) => (typeof inner === 'bigint' ? inner.toString() : inner));
  return String(value);
}

function arrayElement(value: unknown): string {
  const text = textParameter(value);
  return text === null ? 'NULL' : `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * One statement as a single protocol exchange (parse, bind, describe, execute, sync): PGlite's
 * `query` first describes the statement to learn how to serialise the parameters, and sends
 * each message on its own. Only while holding the database (inside `transaction`, or PGlite's
 * own locks) may it bypass `query`.
 */
async function queryInTransaction(db: PGlite, parsers: Parsers, sql: string, values: readonly unknown[]) {
  const message = concat([
    protocol.serialize.parse({ text: sql }),
    protocol.serialize.bind({ values: values.map(textParameter) }),
    protocol.serialize.describe({ type: 'P' }),
    protocol.serialize.execute({}),
    protocol.serialize.sync(),
  ]);
  const { messages } = await db.execProtocol(message, { syncToFs: false });
  return parse.parseResults(messages, parsers)[0];
}

function rawClient(run: (sql: string, values: unknown[]) => Promise<{ rows: unknown[]; affectedRows?: number }>): RawSqlClient {
  return {
    async $queryRaw<T>(strings: TemplateStringsArray, ...values: unknown[]): Promise<T> {
      return (await run(parameterisedSql(strings), values)).rows as T;
    },
    async $executeRaw(strings: TemplateStringsArray, ...values: unknown[]): Promise<number> {
      return (await run(parameterisedSql(strings), values)).affectedRows ?? 0;
    },
  };
}

/**
 * Raw SQL and transactions straight on an embedded PGlite, for the write side's hot paths
 * (consumers, outbox, commands) and hot reads: the same tagged-template calls as a Prisma
 * client's `$queryRaw` / `$executeRaw` / `$transaction`, without the query engine in between,
 * which costs more than the query itself on small statements. PGlite runs one statement or one
 * transaction at a time; a query outside a transaction waits for the open one to end.
 */
export function pgliteSqlClient(db: PGlite): TransactionalClient {
  let merged: Parsers | undefined;
  // Merged once: given separately, they would be merged again for every statement.
  const parsers = () => (merged ??= { ...db.parsers, ...PARSERS });
  return {
    // A statement on its own is one exchange too (PGlite's `query` makes six: parse, describe,
    // bind, describe, execute, sync), under the locks `query` takes; Sync commits it.
    // Ready first, as `transaction` does, so statements and transactions start in call order.
    ...rawClient(async (sql, values) => {
      await db._checkReady();
      return db._runExclusiveTransaction(() => db._runExclusiveQuery(() => queryInTransaction(db, parsers(), sql, values)));
    }),
    $transaction: (fn) =>
      db.transaction(() => {
        // One statement at a time, as PGlite's own transaction client runs them.
        let previous: Promise<unknown> = Promise.resolve();
        return fn(
          rawClient((sql, values) => {
            const result = previous.then(() => queryInTransaction(db, parsers(), sql, values));
            previous = result.catch(() => undefined);
            return result;
          }),
        );
      }),
  };
}
