import { AutoAnalyze, tablesWrittenBy } from './auto-analyze';

describe('tablesWrittenBy', () => {
  it('names the tables a statement inserts into, updates or deletes from', () => {
    expect(tablesWrittenBy('INSERT INTO output_item (a) SELECT * FROM unnest($1::text[]) ON CONFLICT (a) DO UPDATE SET a = excluded.a')).toEqual(['output_item']);
    expect(tablesWrittenBy('UPDATE output_item o SET status = v.status FROM unnest($1::text[]) AS v(s)')).toEqual(['output_item']);
    expect(tablesWrittenBy('WITH gone AS (DELETE FROM gateway_hold WHERE x RETURNING 1), freed AS (DELETE FROM idempotency_key k USING gone) UPDATE "Balance" SET n = 1')).toEqual([
      'gateway_hold',
      'idempotency_key',
      'Balance',
    ]);
  });

  it('does not take row locks or reads for writes', () => {
    expect(tablesWrittenBy('SELECT * FROM scheduled_object WHERE object_id = ANY($1::text[]) FOR UPDATE')).toEqual([]);
    expect(tablesWrittenBy('SELECT * FROM t FOR NO KEY UPDATE OF t SKIP LOCKED')).toEqual([]);
    expect(tablesWrittenBy('SELECT updated FROM update_log')).toEqual([]);
  });
});

describe('AutoAnalyze (autovacuum\'s analyze threshold: 500 rows + 10% of the table)', () => {
  it('is due once 500 rows changed in a table never analyzed, then once 10% of it more changed', () => {
    const auto = new AutoAnalyze();
    auto.count('INSERT INTO object_view (a) VALUES ($1)', 499);
    auto.count('SELECT 1 FROM object_view FOR UPDATE', 1_000);
    expect(auto.due()).toEqual([]);
    auto.count('UPDATE object_view SET a = 1', 1);
    expect(auto.due()).toEqual(['object_view']);
    auto.starting('object_view');
    auto.analyzed('object_view', 100_000);
    auto.count('DELETE FROM object_view', 10_000);
    expect(auto.due()).toEqual([]);
    auto.count('DELETE FROM object_view', 500);
    expect(auto.due()).toEqual(['object_view']);
  });

  it('counts what changed while an ANALYZE ran towards the next one', () => {
    const auto = new AutoAnalyze();
    auto.count('INSERT INTO t (a) VALUES ($1)', 600);
    auto.starting('t');
    auto.count('INSERT INTO t (a) VALUES ($1)', 600);
    auto.analyzed('t', 600);
    expect(auto.due()).toEqual(['t']);
  });
});
