import type { RawSqlClient } from '@sluice/persistence';
import { TableStatistics } from './table-statistics';

/** A transaction that records the statements it is given and reports `rows` in pg_class. */
function recordingTx(rows: number) {
  const statements: string[] = [];
  const tx: RawSqlClient = {
    $executeRaw: async (query: TemplateStringsArray) => {
      statements.push(query.join('?').trim());
      return 0;
    },
    $queryRaw: async <T>(query: TemplateStringsArray) => {
      statements.push(query.join('?').trim());
      return [{ rows }] as T;
    },
  };
  return { tx, analyzed: () => statements.filter((s) => s.startsWith('ANALYZE')).length };
}

describe('read-model statistics (ANALYZE as autovacuum would)', () => {
  it('analyzes once 500 rows changed on an empty table, then once 10% of the table more changed', async () => {
    const statistics = new TableStatistics();
    const { tx, analyzed } = recordingTx(100_000);
    await statistics.afterChanges(tx, 499);
    expect(analyzed()).toBe(0);
    await statistics.afterChanges(tx, 1);
    expect(analyzed()).toBe(1);
    // The table now holds 100,000 rows: the next ANALYZE is due after 500 + 10,000 changes.
    await statistics.afterChanges(tx, 10_000);
    expect(analyzed()).toBe(1);
    await statistics.afterChanges(tx, 500);
    expect(analyzed()).toBe(2);
  });
});
