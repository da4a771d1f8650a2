import {
  DEFAULT_RETRY,
  DeadLetterHeaders,
  type LogRecord,
  type OutgoingRecord,
  type RecordBatch,
  type RetryPolicy,
} from './event-log.port';
import { deadLettered, logger } from '@sluice/telemetry';
import { deadLetterLogFields } from './dead-letter';

const log = logger('eventlog');

export interface DeliveryDeps {
  handleBatch: (batch: RecordBatch) => Promise<void>;
  publishDeadLetter: (records: OutgoingRecord[]) => Promise<void>;
  groupId: string;
  retry?: Partial<RetryPolicy>;
  /** True once the consumer is stopping: retries give up and the batch stays uncommitted. */
  isStopping: () => boolean;
  sleep?: (ms: number) => Promise<void>;
  onError?: (err: unknown, attempt: number, batch: RecordBatch) => void;
}

/** The batch could not be handled and was not dead-lettered: do not commit it. */
export class DeliveryAbortedError extends Error {
  override readonly name = 'DeliveryAbortedError';
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Runs a batch through the handler with the retry and dead-letter rules both adapters share.
 * Resolves when every record was handled or dead-lettered (the caller then commits); rejects
 * with DeliveryAbortedError when the consumer stops first (the caller must not commit).
 *
 * A batch that keeps failing is replayed one record at a time, so only the record that fails
 * on its own reaches the dead-letter topic. Handlers must be idempotent: records before the
 * poison one may be handled twice.
 */
export async function deliverBatch(batch: RecordBatch, deps: DeliveryDeps): Promise<void> {
  const policy = { ...DEFAULT_RETRY, ...deps.retry };
  const whole = await attempt(batch, policy, deps);
  if (whole === true) return;
  if (batch.records.length === 1) return deadLetter(batch.records[0], whole.error, deps);
  for (const record of batch.records) {
    const single = await attempt({ topic: batch.topic, partition: batch.partition, records: [record] }, policy, deps);
    if (single !== true) await deadLetter(record, single.error, deps);
  }
}

async function attempt(batch: RecordBatch, policy: RetryPolicy, deps: DeliveryDeps): Promise<true | { error: unknown }> {
  const sleep = deps.sleep ?? defaultSleep;
  let backoff = policy.initialBackoffMs;
  let error: unknown;
  for (let n = 1; n <= policy.maxAttempts; n++) {
    if (n > 1 && deps.isStopping()) throw new DeliveryAbortedError('consumer stopping');
    try {
      await deps.handleBatch(batch);
      return true;
    } catch (err) {
      error = err;
      deps.onError?.(err, n, batch);
      if (n < policy.maxAttempts) {
        await sleep(backoff);
        backoff = Math.min(backoff * 2, policy.maxBackoffMs);
      }
    }
  }
  return { error };
}

async function deadLetter(record: LogRecord, error: unknown, deps: DeliveryDeps): Promise<void> {
  if (deps.isStopping()) throw new DeliveryAbortedError('consumer stopping');
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  await deps.publishDeadLetter([toDeadLetter(record, deps.groupId, reason)]);
  reportDeadLettered(record, deps.groupId, reason);
}

/**
 * After a record reached the dead-letter topic: counted, and one line at error in the event's
 * trace, since a poison event stops that consumer's work on it for good (the scheduler then
 * ends the object it concerns, see DeadLetterConsumer).
 */
export function reportDeadLettered(record: LogRecord, groupId: string, reason: string): void {
  const fields = deadLetterLogFields(record, groupId, reason);
  deadLettered.inc({ group: groupId, topic: record.topic, type: fields.eventType ?? 'unknown' });
  log.error(fields, 'event dead-lettered');
}

export function toDeadLetter(record: LogRecord, groupId: string, error: string): OutgoingRecord {
  return {
    key: record.key,
    value: record.value,
    headers: {
      ...record.headers,
      [DeadLetterHeaders.sourceTopic]: record.topic,
      [DeadLetterHeaders.sourcePartition]: String(record.partition),
      [DeadLetterHeaders.sourceOffset]: String(record.offset),
      [DeadLetterHeaders.groupId]: groupId,
      [DeadLetterHeaders.error]: error.slice(0, 1_000),
    },
  };
}
