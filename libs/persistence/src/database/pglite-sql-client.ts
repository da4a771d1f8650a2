import { parse, protocol, type PGlite } from '@electric-sql/pglite';
import type { RawSqlClient, TransactionalClient } from '../raw-sql-client';
import { ANALYZE_STATISTICS_TARGET, AutoAnalyze } from './auto-analyze';

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

const ARRAY_QUOTED = /[\\"]/g;

function arrayElement(value: unknown): string {
  const text = textParameter(value);
  return text === null ? 'NULL' : `"${text.replace(ARRAY_QUOTED, '\\$&')}"`;
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
 * Each statement text is parsed and planned once per database and kept as a named prepared
 * statement, as drivers with statement caches do (node-postgres' `name`, JDBC's prepare
 * threshold): parsing and planning were a third to a half of a small statement's time in
 * PGlite here. Names are unique in the process (two clients may share a database) and never
 * reused: one whose first exchange failed may exist or not, so it is left alone. A statement whose cached plan no longer fits (a table's columns changed) is
 * prepared again: at once when it runs on its own, on its next call when it failed a transaction.
 */
let preparedStatementsCreated = 0;

class PreparedStatements {
  private readonly names = new Map<string, string>();

  constructor(private readonly limit: number) {}

  /** The statement's name, and the Parse message that creates it when this exchange must. */
  lookup(sql: string): { name: string; parse?: Uint8Array } {
    const name = this.names.get(sql);
    if (name !== undefined) return { name };
    // Past the limit (SQL built at run time), statements run unnamed, parsed every time.
    if (this.names.size >= this.limit) return { name: '', parse: protocol.serialize.parse({ text: sql }) };
    const created = `sluice_${++preparedStatementsCreated}`;
    return { name: created, parse: protocol.serialize.parse({ name: created, text: sql }) };
  }

  remember(sql: string, name: string): void {
    if (name !== '') this.names.set(sql, name);
  }

  forget(sql: string): void {
    this.names.delete(sql);
  }
}

/** Postgres' "cached plan must not change result type" (0A000). */
const stalePlan = (err: unknown) => (err as { code?: string }).code === '0A000';

/**
 * One statement as a single protocol exchange (parse the first time, then bind, describe,
 * execute, sync): PGlite's `query` first describes the statement to learn how to serialise the
 * parameters, and sends each message on its own. Only while holding the database (inside
 * `transaction`, or PGlite's own locks) may it bypass `query`.
 */
async function queryInTransaction(db: PGlite, parsers: Parsers, statements: PreparedStatements, sql: string, values: readonly unknown[]) {
  const { name, parse: parseMessage } = statements.lookup(sql);
  const bound = [
    protocol.serialize.bind({ statement: name, values: values.map(textParameter) }),
    protocol.serialize.describe({ type: 'P' }),
    protocol.serialize.execute({}),
    protocol.serialize.sync(),
  ];
  let messages: Awaited<ReturnType<PGlite['execProtocol']>>['messages'];
  try {
    ({ messages } = await db.execProtocol(concat(parseMessage ? [parseMessage, ...bound] : bound), { syncToFs: false }));
  } catch (err) {
    if (!parseMessage && stalePlan(err)) statements.forget(sql);
    throw err;
  }
  if (parseMessage) statements.remember(sql, name);
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

/** Each PGlite's session search_path, as the last client to set it left it (unset: PGlite's own). */
const sessionSchema = new WeakMap<PGlite, string>();
const quoteIdentifier = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Creates `schema` if missing and makes it the session's search_path: what migrations (whose
 * SQL names no schema) and a tool's statements then run in. Only while nothing else uses `db`.
 */
export async function useSchema(db: PGlite, schema: string): Promise<void> {
  await db.exec(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}; SET search_path TO ${quoteIdentifier(schema)}`);
  sessionSchema.set(db, schema);
}

/**
 * Raw SQL and transactions straight on an embedded PGlite, for the write side's hot paths
 * (consumers, outbox, commands) and hot reads: the same tagged-template calls as a Prisma
 * client's `$queryRaw` / `$executeRaw` / `$transaction`, without the query engine in between,
 * which costs more than the query itself on small statements. PGlite runs one statement or one
 * transaction at a time; a query outside a transaction waits for the open one to end.
 */
export function pgliteSqlClient(
  db: PGlite,
  options: {
    preparedStatements?: number;
    autoAnalyze?: boolean;
    /**
     * The schema this client's statements run in, when services share the database (one schema
     * each): its unqualified names resolve there whatever other clients of the PGlite do.
     */
    schema?: string;
  } = {},
): TransactionalClient {
  const statements = new PreparedStatements(options.preparedStatements ?? 1000);
  let merged: Parsers | undefined;
  // Merged once: given separately, they would be merged again for every statement.
  const parsers = () => (merged ??= { ...db.parsers, ...PARSERS });
  const { schema } = options;
  const path = schema === undefined ? '' : `search_path TO ${quoteIdentifier(schema)}`;
  // Outside a transaction, while holding the database: the session's path, set only when another schema's client left it.
  const useSchemaInSession = async () => {
    if (schema === undefined || sessionSchema.get(db) === schema) return;
    await queryInTransaction(db, parsers(), statements, `SET ${path}`, []);
    sessionSchema.set(db, schema);
  };
  const exclusive = <T>(run: () => Promise<T>) =>
    db._runExclusiveTransaction(() =>
      db._runExclusiveQuery(async () => {
        await useSchemaInSession();
        return run();
      }),
    );
  const statistics = new AutoAnalyze();
  let analyzing = false;
  // After the commit that made them due, each on its own, as autovacuum's worker would.
  const analyzeDue = async () => {
    if (analyzing || db.closed) return;
    analyzing = true;
    try {
      for (let due = statistics.due(); due.length > 0 && !db.closed; due = statistics.due()) {
        for (const table of due) {
          statistics.starting(table);
          const rows = await exclusive(async () => {
            await queryInTransaction(db, parsers(), statements, `SET default_statistics_target = ${ANALYZE_STATISTICS_TARGET}`, []);
            await queryInTransaction(db, parsers(), statements, `VACUUM (ANALYZE) "${table}"`, []);
            const result = await queryInTransaction(db, parsers(), statements, 'SELECT reltuples::float8 AS n FROM pg_class WHERE oid = $1::regclass', [`"${table}"`]);
            return Number((result.rows[0] as { n?: number } | undefined)?.n ?? 0);
          }).catch(() => -1);
          statistics.analyzed(table, rows);
        }
      }
    } finally {
      analyzing = false;
    }
  };
  const committed = (writes: ReadonlyArray<readonly [string, number]>) => {
    if (options.autoAnalyze === false) return;
    for (const [sql, rows] of writes) statistics.count(sql, rows);
    if (!analyzing && statistics.due().length > 0) setImmediate(() => void analyzeDue());
  };
  return {
    // A statement on its own is one exchange too (PGlite's `query` makes six: parse, describe,
    // bind, describe, execute, sync), under the locks `query` takes; Sync commits it.
    // Ready first, as `transaction` does, so statements and transactions start in call order.
    ...rawClient(async (sql, values) => {
      await db._checkReady();
      const run = () => queryInTransaction(db, parsers(), statements, sql, values);
      const result = await exclusive(() => run().catch((err: unknown) => (stalePlan(err) ? run() : Promise.reject(err))));
      committed([[sql, result.affectedRows ?? 0]]);
      return result;
    }),
    $transaction: async (fn) => {
      const writes: Array<readonly [string, number]> = [];
      const result = await db.transaction(() => {
        // One statement at a time, as PGlite's own transaction client runs them. SET LOCAL ends
        // with the transaction, so the session's path stays what sessionSchema says.
        let previous: Promise<unknown> =
          schema === undefined || sessionSchema.get(db) === schema ? Promise.resolve() : queryInTransaction(db, parsers(), statements, `SET LOCAL ${path}`, []);
        return fn(
          rawClient((sql, values) => {
            const result = previous.then(async () => {
              const out = await queryInTransaction(db, parsers(), statements, sql, values);
              writes.push([sql, out.affectedRows ?? 0]);
              return out;
            });
            previous = result.catch(() => undefined);
            return result;
          }),
        );
      });
      committed(writes);
      return result;
    },
  };
}
