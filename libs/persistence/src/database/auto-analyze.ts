/**
 * What PostgreSQL's autovacuum does, for PGlite, which runs none: counts the rows each table's
 * writes changed and says when a table is due for VACUUM (ANALYZE) (once the changes since the
 * last one pass {@link ANALYZE_BASE_ROWS} + {@link ANALYZE_SCALE} of the table, as autovacuum's
 * analyze threshold and scale factor). Without statistics a prepared statement keeps the generic
 * plan it chose while its tables were small (a scan of the whole table per row, once the table is
 * big) until the process restarts; ANALYZE refreshes them and invalidates the plans built on the
 * old ones. Without VACUUM the rows an inbox, an outbox or an update leaves dead are never
 * reclaimed: the table's file and its indexes only grow, and every scan walks the dead rows.
 */
export const ANALYZE_BASE_ROWS = 500;
export const ANALYZE_SCALE = 0.1;
/**
 * The sample ANALYZE reads (300 rows per unit): PostgreSQL's default of 100 samples 30,000 rows,
 * which on wide JSON rows makes each run cost more than the batches it follows; the plans these
 * statistics choose between (an index or a scan) need far fewer.
 */
export const ANALYZE_STATISTICS_TARGET = 10;

// INSERT INTO t, UPDATE t, DELETE FROM t, not the row locks (FOR [NO KEY] UPDATE) nor an upsert's DO UPDATE.
const WRITE = /(?<!\b(?:FOR|DO|KEY)\s+)\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(?:ONLY\s+)?("?)([A-Za-z_][\w$]*)\1/gi;
const written = new Map<string, readonly string[]>();

/** The tables a statement writes (all of them when CTEs write several), by name as PostgreSQL folds it. */
export function tablesWrittenBy(sql: string): readonly string[] {
  let tables = written.get(sql);
  if (tables === undefined) {
    tables = [...new Set([...sql.matchAll(WRITE)].map(([, quote, name]) => (quote ? name : name.toLowerCase())))];
    if (written.size < 10_000) written.set(sql, tables);
  }
  return tables;
}

export class AutoAnalyze {
  private readonly changed = new Map<string, number>();
  /** Rows at each table's last ANALYZE (pg_class.reltuples); none before the first. */
  private readonly rows = new Map<string, number>();

  /** Counts the rows a committed statement changed in each table it writes. */
  count(sql: string, rows: number): void {
    if (rows <= 0) return;
    for (const table of tablesWrittenBy(sql)) this.changed.set(table, (this.changed.get(table) ?? 0) + rows);
  }

  /** Tables whose changes passed the threshold. */
  due(): string[] {
    return [...this.changed].filter(([table, n]) => n >= ANALYZE_BASE_ROWS + ANALYZE_SCALE * (this.rows.get(table) ?? 0)).map(([table]) => table);
  }

  /** ANALYZE of the table starts: changes from now on count towards the next one. */
  starting(table: string): void {
    this.changed.delete(table);
  }

  /** The table was analyzed and holds about `rows` rows (-1: never analyzed, e.g. it failed). */
  analyzed(table: string, rows: number): void {
    this.rows.set(table, Math.max(0, rows));
  }
}
