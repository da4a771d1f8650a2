import { EmbeddedEventLog } from '../embedded-event-log';

/**
 * Publishes numbered records to `topic` in `dir` until killed, printing how many were acked
 * after each publish resolves. Args: dir, topic.
 */
async function main(): Promise<void> {
  const [dir, topic] = process.argv.slice(2);
  const log = await EmbeddedEventLog.open({ dir });
  await log.ensureTopics([{ name: topic, partitions: 2, retentionMs: null }]);
  const value = Buffer.alloc(512, 'v');
  for (let acked = 0; ; ) {
    const records = Array.from({ length: 50 }, (_, i) => ({ key: `k${(acked + i) % 7}`, value, headers: { n: String(acked + i) } }));
    await log.publish(topic, records);
    acked += records.length;
    process.stdout.write(`${JSON.stringify({ marker: 'acked', acked })}\n`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
