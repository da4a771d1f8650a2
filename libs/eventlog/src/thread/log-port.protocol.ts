import type { LogHealth, LogRecord, OutgoingRecord, RecordBatch, SubscribeOptions, TopicConfig, TopicPartition } from '../event-log.port';

/**
 * The messages between an event log and a `PortEventLog` on another thread (see
 * serveEventLog). Each side sends requests with an id and answers the other's by that id:
 * the port side asks for the log's operations, the log side asks the port side to handle a
 * batch of one of its subscriptions.
 */
export type LogRequest =
  | { op: 'ensureTopics'; topics: TopicConfig[] }
  | { op: 'publish'; topic: string; records: OutgoingRecord[] }
  | { op: 'subscribe'; subscription: number; options: Omit<SubscribeOptions, 'handleBatch'> }
  | { op: 'unsubscribe'; subscription: number }
  | { op: 'committedOffset'; groupId: string; tp: TopicPartition }
  | { op: 'endOffset'; tp: TopicPartition }
  | { op: 'health' };

/**
 * The log side's requests: handle this batch (the answer settles the log's handler), or take
 * note of the member's partitions (sent after each subscribe or unsubscribe through the port,
 * when the group rebalances).
 */
export type BatchRequest =
  | { op: 'batch'; subscription: number; batch: RecordBatch }
  | { op: 'assigned'; subscription: number; assignments: TopicPartition[] };

export type LogReplyValue = void | number | null | LogHealth;

export type PortMessage =
  | { kind: 'request'; id: number; request: LogRequest | BatchRequest }
  | { kind: 'reply'; id: number; ok: true; value?: LogReplyValue }
  | { kind: 'reply'; id: number; ok: false; error: SerializedError };

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
}

export function serializeError(err: unknown): SerializedError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const code = (err as { code?: unknown }).code;
  return { name: err.name, message: err.message, stack: err.stack, code: typeof code === 'string' ? code : undefined };
}

/** The other thread's error as an Error of this one: same name, message, code and stack. */
export function deserializeError(serialized: SerializedError): Error {
  const err = new Error(serialized.message) as Error & { code?: string };
  err.name = serialized.name;
  if (serialized.stack !== undefined) err.stack = serialized.stack;
  if (serialized.code !== undefined) err.code = serialized.code;
  return err;
}

/** A Buffer crosses a thread as a plain Uint8Array: give it its Buffer face back (no copy). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function receivedRecord<R extends OutgoingRecord | LogRecord>(record: R): R {
  return { ...record, value: asBuffer(record.value) };
}
