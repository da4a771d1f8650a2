import { PrismaPg } from '@prisma/adapter-pg';
import { ColumnTypeEnum, type SqlDriverAdapter, type SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import pg from 'pg';

const CHAR_OID = 18;
const TEXT_OID = 25;

type QueryResults = pg.QueryResult | pg.QueryResult[] | undefined;

/** Names of the `"char"` columns of the latest result (the engine's queries run one at a time). */
let lastCharColumns = new Set<string>();

function reportCharAsText(result: QueryResults): QueryResults {
  const charColumns = new Set<string>();
  for (const one of ([] as (pg.QueryResult | undefined)[]).concat(result)) {
    for (const field of one?.fields ?? []) {
      if (field.dataTypeID !== CHAR_OID) continue;
      field.dataTypeID = TEXT_OID;
      charColumns.add(field.name);
    }
  }
  lastCharColumns = charColumns;
  return result;
}

/**
 * Gives the `"char"` columns back their type after adapter-pg read them as text: the schema
 * describer reads e.g. a constraint's type as a character and panics on a string (seen with
 * CHECK constraints). pglite-prisma-adapter maps OID 18 to Character natively.
 */
function restoreCharColumns(adapter: SqlDriverAdapter): SqlDriverAdapter {
  const queryRaw = adapter.queryRaw.bind(adapter);
  adapter.queryRaw = async (query) => {
    lastCharColumns = new Set();
    const result = await queryRaw(query);
    const chars = lastCharColumns;
    if (chars.size === 0) return result;
    return {
      ...result,
      columnTypes: result.columnTypes.map((type, i) => (chars.has(result.columnNames[i]) ? ColumnTypeEnum.Character : type)),
    };
  };
  return adapter;
}

/**
 * adapter-pg 7.10.1 cannot map the internal type `"char"` (OID 18) that the schema engine's
 * describer selects from the catalogue ("Column type 'char' could not be deserialized").
 * This client reports such columns as text; only the migration adapter uses it.
 */
class CharAsTextClient extends pg.Client {
  // pg's query() has many overloads; this passes every form through and fixes the result.
  override query(...args: unknown[]): never {
    const callbackAt = args.findIndex((arg, i) => i > 0 && typeof arg === 'function');
    if (callbackAt > 0) {
      const callback = args[callbackAt] as (err: Error | null, res: QueryResults) => void;
      args[callbackAt] = (err: Error | null, res: QueryResults) => callback(err, err ? res : reportCharAsText(res));
    }
    const result = (super.query as (...a: unknown[]) => unknown)(...args);
    if (callbackAt < 0 && result && typeof (result as Promise<QueryResults>).then === 'function') {
      return (result as Promise<QueryResults>).then(reportCharAsText) as never;
    }
    return result as never;
  }
}

/**
 * Discrete fields, never `connectionString`: adapter-pg builds the shadow pool as
 * `{ ...config, database }`, and pg lets a connection string override `database`, so the
 * "shadow" would silently be the main database.
 */
export function connectionFieldsOf(url: string): pg.ClientConfig {
  const parsed = new URL(url);
  const sslmode = parsed.searchParams.get('sslmode');
  return {
    host: decodeURIComponent(parsed.hostname),
    port: Number(parsed.port || 5432),
    user: decodeURIComponent(parsed.username) || undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    database: decodeURIComponent(parsed.pathname.slice(1)) || undefined,
    ...(sslmode && sslmode !== 'disable' ? { ssl: { rejectUnauthorized: sslmode === 'verify-full' } } : {}),
  };
}

/** adapter-pg ships its own copy of @types/pg; the runtime Pool is the same class. */
type AdapterPgPool = Extract<ConstructorParameters<typeof PrismaPg>[0], { totalCount: number }>;

function migrationPg(fields: pg.ClientConfig): PrismaPg {
  const pool = new pg.Pool({ ...fields, Client: CharAsTextClient });
  return new PrismaPg(pool as unknown as AdapterPgPool, { disposeExternalPool: true });
}

async function runAdmin(fields: pg.ClientConfig, sql: string): Promise<void> {
  const client = new pg.Client(fields);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * The driver adapter the schema engine migrates a PostgreSQL database through. Shadow
 * databases (used by diffs from a migrations folder) are created next to the main one and
 * dropped after their pool is closed: adapter-pg's own shadow factory drops first and fails
 * with "database is being accessed by other users".
 */
export function postgresMigrationAdapter(url: string): SqlMigrationAwareDriverAdapterFactory {
  const fields = connectionFieldsOf(url);
  const main = migrationPg(fields);
  return {
    provider: main.provider,
    adapterName: main.adapterName,
    connect: async () => restoreCharColumns(await main.connect()),
    async connectToShadowDb(): Promise<SqlDriverAdapter> {
      const name = `prisma_shadow_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
      await runAdmin(fields, `CREATE DATABASE "${name}"`);
      const shadow = restoreCharColumns(await migrationPg({ ...fields, database: name }).connect());
      const dispose = shadow.dispose.bind(shadow);
      shadow.dispose = async () => {
        await dispose();
        await runAdmin(fields, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      };
      return shadow;
    },
  };
}
