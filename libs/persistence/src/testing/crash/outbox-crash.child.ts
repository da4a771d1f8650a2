import { createEventLog, type EventLog } from '@sluice/eventlog';
import { TopicSpecs, Topics, decodeEvent, encodeEvent } from '@sluice/events';
import { applyOnce } from '../../consumer/idempotent-consumer';
import { appendToOutbox } from '../../outbox/outbox';
import { OutboxRelay } from '../../outbox/outbox-relay';
import { incrementCounter, openFixture, walletCredited, type FixtureLocation } from '../fixture-database';

/**
 * One step of a crash scenario, run in its own process so the test can SIGKILL it at a
 * precise point. It prints a line when it reaches that point, then hangs there.
 */
export type CrashStep =
  | { step: 'produce-and-hang'; db: FixtureLocation }
  | { step: 'relay'; db: FixtureLocation; logDir: string; hangAfterPublish?: boolean }
  | { step: 'consume'; db: FixtureLocation; logDir: string; hangAfterEffect?: boolean };

export const CRASH_CONSUMER = 'crash-test.wallets';
export const CRASH_GROUP = 'crash-test';

const hangForever = () => new Promise<never>(() => undefined);

async function openLog(logDir: string): Promise<EventLog> {
  const log = await createEventLog({ kind: 'embedded', dir: logDir });
  await log.ensureTopics(TopicSpecs);
  return log;
}

async function produceAndHang(step: Extract<CrashStep, { step: 'produce-and-hang' }>): Promise<void> {
  const { prisma } = await openFixture(step.db);
  const event = walletCredited('acct-crash');
  await prisma.$transaction(async (tx) => {
    await incrementCounter(tx, 'produced');
    await appendToOutbox(tx, [event]);
  });
  console.log(`committed ${event.eventId}`);
  await hangForever();
}

async function relay(step: Extract<CrashStep, { step: 'relay' }>): Promise<void> {
  const db = await openFixture(step.db);
  const log = await openLog(step.logDir);
  const publishThenHang = {
    publish: async (topic: string, records: Parameters<EventLog['publish']>[1]) => {
      await log.publish(topic, records);
      console.log(`published-not-deleted ${records.length}`);
      await hangForever();
    },
  };
  const outboxRelay = new OutboxRelay({ client: db.prisma, log: step.hangAfterPublish ? publishThenHang : log });
  console.log(`published ${await outboxRelay.publishPending()}`);
  await log.close();
  await db.close();
}

async function consume(step: Extract<CrashStep, { step: 'consume' }>): Promise<void> {
  const db = await openFixture(step.db);
  const log = await openLog(step.logDir);
  const subscription = await log.subscribe({
    groupId: CRASH_GROUP,
    topics: [Topics.billing],
    deadLetterTopic: Topics.deadLetter,
    handleBatch: async (batch) => {
      const events = batch.records.map((record) => decodeEvent(record));
      await applyOnce(db.prisma, CRASH_CONSUMER, events, (tx, fresh) => incrementCounter(tx, 'consumed', fresh.length));
      if (step.hangAfterEffect) {
        console.log('effect-committed');
        await hangForever();
      }
    },
  });
  await waitUntilCaughtUp(log);
  console.log('caught-up');
  await subscription.stop();
  await log.close();
  await db.close();
}

async function waitUntilCaughtUp(log: EventLog): Promise<void> {
  const partitions = TopicSpecs.find((spec) => spec.name === Topics.billing)!.partitions;
  for (;;) {
    let behind = 0;
    for (let partition = 0; partition < partitions; partition++) {
      const tp = { topic: Topics.billing, partition };
      behind += (await log.endOffset(tp)) - ((await log.committedOffset(CRASH_GROUP, tp)) ?? 0);
    }
    if (behind === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Publishes straight to the log, as another service would have. */
export async function publishDirectly(logDir: string, event: Parameters<typeof encodeEvent>[0]): Promise<void> {
  const log = await openLog(logDir);
  await log.publish(Topics.billing, [encodeEvent(event)]);
  await log.close();
}

async function main(step: CrashStep): Promise<void> {
  switch (step.step) {
    case 'produce-and-hang':
      return produceAndHang(step);
    case 'relay':
      return relay(step);
    case 'consume':
      return consume(step);
    default: {
      const never: never = step;
      throw new Error(`unknown step ${JSON.stringify(never)}`);
    }
  }
}

if (require.main === module) {
  main(JSON.parse(process.argv[2]) as CrashStep).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
