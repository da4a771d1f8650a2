import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEventLog } from '@sluice/eventlog';
import { TopicSpecs, Topics } from '@sluice/events';
import { counterValue, openFixture, walletCredited, type FixtureLocation } from '../fixture-database';
import { ScriptProcess } from './child-process';
import { CRASH_CONSUMER, CRASH_GROUP, publishDirectly, type CrashStep } from './outbox-crash.child';

const CHILD = join(__dirname, 'outbox-crash.child.ts');

const run = (step: CrashStep) => ScriptProcess.start(CHILD, step);

/** Records on the billing topic and the crash group's committed offsets, summed over partitions. */
async function logState(logDir: string): Promise<{ records: number; committed: number }> {
  const log = await createEventLog({ kind: 'embedded', dir: logDir });
  try {
    await log.ensureTopics(TopicSpecs);
    const partitions = TopicSpecs.find((spec) => spec.name === Topics.billing)!.partitions;
    let records = 0;
    let committed = 0;
    for (let partition = 0; partition < partitions; partition++) {
      records += await log.endOffset({ topic: Topics.billing, partition });
      committed += (await log.committedOffset(CRASH_GROUP, { topic: Topics.billing, partition })) ?? 0;
    }
    return { records, committed };
  } finally {
    await log.close();
  }
}

async function dbState(location: FixtureLocation) {
  const db = await openFixture(location);
  try {
    return {
      outbox: await db.prisma.outbox.count(),
      produced: await counterValue(db.prisma, 'produced'),
      consumed: await counterValue(db.prisma, 'consumed'),
      processed: await db.prisma.processedEvent.count({ where: { consumer: CRASH_CONSUMER } }),
    };
  } finally {
    await db.close();
  }
}

/**
 * SIGKILL scenarios for the outbox relay and the idempotent consumer, with the embedded
 * event log. `newDatabase` gives each scenario an empty database (PGlite folder or URL).
 */
export function describeCrashScenarios(engine: string, newDatabase: (scratchDir: string) => Promise<FixtureLocation>): void {
  describe(`crashes (${engine} + embedded log, child processes killed with SIGKILL)`, () => {
    let scratch: string;
    let db: FixtureLocation;
    let logDir: string;
    beforeEach(async () => {
      scratch = mkdtempSync(join(tmpdir(), 'sluice-crash-'));
      logDir = join(scratch, 'log');
      db = await newDatabase(scratch);
      await (await openFixture(db)).close();
    });
    afterEach(() => rmSync(scratch, { recursive: true, force: true }));

    it('killed after committing state + outbox but before publishing: the restarted relay publishes the event exactly once', async () => {
      const producer = run({ step: 'produce-and-hang', db });
      await producer.line('committed');
      await producer.kill();
      expect(await dbState(db)).toMatchObject({ produced: 1, outbox: 1 });
      expect((await logState(logDir)).records).toBe(0);

      const restarted = run({ step: 'relay', db, logDir });
      expect(await restarted.line('published')).toBe('published 1');
      await restarted.succeeds();
      const again = run({ step: 'relay', db, logDir });
      expect(await again.line('published')).toBe('published 0');
      await again.succeeds();

      expect((await logState(logDir)).records).toBe(1);
      expect(await dbState(db)).toMatchObject({ produced: 1, outbox: 0 });
    });

    it('killed after publishing but before deleting the rows: published twice (at-least-once), applied once by the consumer', async () => {
      const producer = run({ step: 'produce-and-hang', db });
      await producer.line('committed');
      await producer.kill();
      const relay = run({ step: 'relay', db, logDir, hangAfterPublish: true });
      await relay.line('published-not-deleted');
      await relay.kill();
      expect(await dbState(db)).toMatchObject({ outbox: 1 });

      const restarted = run({ step: 'relay', db, logDir });
      await restarted.succeeds();
      const consumer = run({ step: 'consume', db, logDir });
      await consumer.line('caught-up');
      await consumer.succeeds();

      expect((await logState(logDir)).records).toBe(2);
      expect(await dbState(db)).toMatchObject({ outbox: 0, consumed: 1, processed: 1 });
    });

    it('consumer killed after its effect committed but before the log offset: redelivered, applied once', async () => {
      await publishDirectly(logDir, walletCredited('acct-redelivered'));
      const consumer = run({ step: 'consume', db, logDir, hangAfterEffect: true });
      await consumer.line('effect-committed');
      await consumer.kill();
      expect(await logState(logDir)).toEqual({ records: 1, committed: 0 });
      expect(await dbState(db)).toMatchObject({ consumed: 1, processed: 1 });

      const restarted = run({ step: 'consume', db, logDir });
      await restarted.line('caught-up');
      await restarted.succeeds();

      expect(await logState(logDir)).toEqual({ records: 1, committed: 1 });
      expect(await dbState(db)).toMatchObject({ consumed: 1, processed: 1 });
    });
  });
}
