import { createEventLog } from '../../create-event-log';
import { configFromEnv, sleep } from '../contract-helpers';

/**
 * Joins a group, lets its first batch commit, then takes the second batch and hangs so the
 * parent can SIGKILL it mid-batch. Args: topic, groupId, deadLetterTopic, maxBatchSize.
 */
async function main(): Promise<void> {
  const [topic, groupId, deadLetterTopic, maxBatchSize] = process.argv.slice(2);
  const log = await createEventLog(configFromEnv());
  let committedUpTo: number | null = null;
  await log.subscribe({
    groupId,
    topics: [topic],
    deadLetterTopic,
    fromBeginning: true,
    maxBatchSize: Number(maxBatchSize),
    handleBatch: async (batch) => {
      const offsets = batch.records.map((r) => r.offset);
      if (committedUpTo === null) {
        committedUpTo = offsets[offsets.length - 1] + 1;
        return;
      }
      // The adapter commits after the handler resolves; be sure it happened before the kill.
      const tp = { topic, partition: batch.partition };
      while (((await log.committedOffset(groupId, tp)) ?? -1) < committedUpTo) await sleep(20);
      process.stdout.write(`${JSON.stringify({ marker: 'hanging', committedUpTo, hungOffsets: offsets })}\n`);
      await new Promise<never>(() => undefined);
    },
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
