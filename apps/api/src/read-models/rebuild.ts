import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TopicSpecs, topicsOf } from '@sluice/events';
import { EventBus, type EventLog } from '@sluice/eventlog';
import { applyOnce, openServiceDatabase, type RawSqlClient } from '@sluice/persistence';
import { PrismaClient } from '../generated/prisma/client';
import { READ_MODELS_CONSUMER } from './read-models.consumer';
import { snapshotTransactions } from '../wallet/wallet.store';
import { projectEvents, snapshotObjects, snapshotReadModels, type ReadModelSnapshot, type RowSelection } from './read-model.store';

export interface SnapshotDifference {
  table: 'object_view' | 'object_status_count' | 'task_view' | 'balance_view' | 'file_view' | 'openai_batch, file_expansion, task_quote' | 'wallet_transaction';
  key: string;
  live: unknown;
  rebuilt: unknown;
}

const keyed = <T>(rows: readonly T[], key: (row: T) => string) => new Map(rows.map((r) => [key(r), r]));

function diffTable<T>(table: SnapshotDifference['table'], live: readonly T[], rebuilt: readonly T[], key: (row: T) => string): SnapshotDifference[] {
  const a = keyed(live, key);
  const b = keyed(rebuilt, key);
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  return keys
    .filter((k) => JSON.stringify(a.get(k) ?? null) !== JSON.stringify(b.get(k) ?? null))
    .map((k) => ({ table, key: k, live: a.get(k) ?? null, rebuilt: b.get(k) ?? null }));
}

/** Rows read at a time from each side when a large table is compared page by page. */
const PAGE_ROWS = 5_000;
/** Differences a report lists (all are counted). */
const MAX_LISTED = 20;

class Differences {
  readonly listed: SnapshotDifference[] = [];
  count = 0;
  add(difference: SnapshotDifference): void {
    this.count += 1;
    if (this.listed.length < MAX_LISTED) this.listed.push(difference);
  }
}

/**
 * Compares a large table page by page in constant memory: each live page with the rebuilt rows
 * of the same keys, then the rebuilt rows whose keys the live table lacks. Returns how many rows
 * the rebuilt table holds. Pages are matched by key, so the two databases' collations need not agree.
 */
async function diffPaged<T>(
  table: SnapshotDifference['table'],
  live: RawSqlClient,
  rebuilt: RawSqlClient,
  read: (db: RawSqlClient, selection: RowSelection) => Promise<T[]>,
  key: (row: T) => string,
  out: Differences,
  pageRows: number,
): Promise<number> {
  for (let after: string | null = null; ; ) {
    const page = await read(live, { after, limit: pageRows });
    if (page.length === 0) break;
    const other = keyed(await read(rebuilt, { keys: page.map(key) }), key);
    for (const row of page) {
      const counterpart = other.get(key(row)) ?? null;
      if (JSON.stringify(row) !== JSON.stringify(counterpart)) out.add({ table, key: key(row), live: row, rebuilt: counterpart });
    }
    after = key(page[page.length - 1]);
  }
  let rows = 0;
  for (let after: string | null = null; ; ) {
    const page = await read(rebuilt, { after, limit: pageRows });
    if (page.length === 0) break;
    rows += page.length;
    const present = new Set((await read(live, { keys: page.map(key) })).map(key));
    for (const row of page) if (!present.has(key(row))) out.add({ table, key: key(row), live: null, rebuilt: row });
    after = key(page[page.length - 1]);
  }
  return rows;
}

/** Row-by-row differences between two read-model snapshots (empty when they are equal). */
export function compareSnapshots(live: ReadModelSnapshot, rebuilt: ReadModelSnapshot): SnapshotDifference[] {
  return [
    ...diffTable('object_view', live.objects, rebuilt.objects, (r) => r.objectId),
    ...diffTable('object_status_count', live.statusCounts, rebuilt.statusCounts, (r) => `${r.status}/${r.slaMissed}`),
    ...diffTable('task_view', live.tasks, rebuilt.tasks, (r) => r.taskId),
    ...diffTable('balance_view', live.balances, rebuilt.balances, (r) => r.accountId),
    ...diffTable('file_view', live.files, rebuilt.files, (r) => r.fileId),
    ...diffTable('openai_batch, file_expansion, task_quote', live.batches, rebuilt.batches, (r) => r.key),
    ...diffTable('wallet_transaction', live.transactions, rebuilt.transactions, (r) => r.eventId),
  ];
}

export interface RebuildReport {
  equal: boolean;
  eventsReplayed: number;
  rows: { objects: number; tasks: number; balances: number };
  /** The first differences found (at most 20). */
  differences: SnapshotDifference[];
  differenceCount: number;
}

async function endOffsets(log: EventLog): Promise<Map<string, number>> {
  const ends = new Map<string, number>();
  const topics = topicsOf(READ_MODELS_CONSUMER.handles);
  for (const spec of TopicSpecs.filter((t) => topics.includes(t.name))) {
    for (let partition = 0; partition < spec.partitions; partition++) {
      const end = await log.endOffset({ topic: spec.name, partition });
      if (end > 0) ends.set(`${spec.name}/${partition}`, end);
    }
  }
  return ends;
}

/** How far a replay got: records read of the log's total, events projected. */
export interface RebuildProgress {
  recordsRead: number;
  recordsTotal: number;
  eventsReplayed: number;
}

/**
 * Replays the log from its beginning (a fresh consumer group) into fresh read-model tables
 * (a scratch embedded database, whatever the live one is) with the same projections, then
 * compares them with the live tables. Meaningful when nothing is being written meanwhile
 * (the server stopped, or idle).
 */
export async function rebuildReadModels(options: {
  log: EventLog;
  live: RawSqlClient;
  stallTimeoutMs?: number;
  /** Rows per page when comparing the large tables (objects, wallet transactions). */
  pageRows?: number;
  /** Called after each batch read. */
  onProgress?: (progress: RebuildProgress) => void;
}): Promise<RebuildReport> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-api-rebuild-'));
  const database = await openServiceDatabase({ service: 'api', mode: 'embedded', dataDir: dir });
  const scratch = new PrismaClient({ adapter: database.adapter });
  try {
    const ends = await endOffsets(options.log);
    const recordsTotal = [...ends.values()].reduce((a, b) => a + b, 0);
    let replayed = 0;
    let caughtUp: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (caughtUp = resolve));
    const progress = new Map<string, number>();
    let progressedAt = performance.now();
    const check = () => {
      if ([...ends].every(([tp, end]) => (progress.get(tp) ?? 0) >= end)) caughtUp();
    };
    const subscription = await new EventBus(options.log).subscribe({
      consumer: READ_MODELS_CONSUMER,
      groupId: `api-rebuild-${randomUUID()}`,
      fromBeginning: true,
      maxBatchSize: 2_000,
      handle: async (events) => {
        const outcome = await applyOnce(scratch, 'api-rebuild', events, (tx, fresh) => projectEvents(tx, fresh));
        replayed += outcome.applied.length;
      },
      // Every batch read counts, those of events the read models do not handle too.
      progress: (ctx) => {
        progress.set(`${ctx.topic}/${ctx.partition}`, ctx.lastOffset + 1);
        progressedAt = performance.now();
        options.onProgress?.({ recordsRead: [...progress.values()].reduce((a, b) => a + b, 0), recordsTotal, eventsReplayed: replayed });
        check();
      },
    });
    check();
    // A log of any length replays; one that stops moving (a partition that cannot be read) fails.
    const stallTimeoutMs = options.stallTimeoutMs ?? 120_000;
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setInterval(() => {
        const idleMs = performance.now() - progressedAt;
        if (idleMs >= stallTimeoutMs) reject(new Error(`rebuild: the replay made no progress for ${Math.round(idleMs)} ms`));
      }, Math.min(1_000, stallTimeoutMs));
    });
    try {
      await Promise.race([done, stalled]);
    } finally {
      clearInterval(timer);
      await subscription.stop();
    }
    const differences = new Differences();
    const rebuilt = await snapshotReadModels(scratch, { large: false });
    for (const difference of compareSnapshots(await snapshotReadModels(options.live, { large: false }), rebuilt)) differences.add(difference);
    const pageRows = options.pageRows ?? PAGE_ROWS;
    const objects = await diffPaged('object_view', options.live, scratch, snapshotObjects, (r) => r.objectId, differences, pageRows);
    await diffPaged('wallet_transaction', options.live, scratch, snapshotTransactions, (r) => r.eventId, differences, pageRows);
    return {
      equal: differences.count === 0,
      eventsReplayed: replayed,
      rows: { objects, tasks: rebuilt.tasks.length, balances: rebuilt.balances.length },
      differences: differences.listed,
      differenceCount: differences.count,
    };
  } finally {
    await scratch.$disconnect();
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
