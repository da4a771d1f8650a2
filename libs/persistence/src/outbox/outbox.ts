import { definitionOf, encodeEvent, type SluiceEvent } from '@sluice/events';
import type { RawSqlClient } from '../raw-sql-client';

/** One outbox row as written: what the relay publishes, and the id it deletes it by. */
export interface OutboxEntry {
  id: bigint;
  topic: string;
  key: string;
  headers: Record<string, string>;
  value: Buffer;
}

/**
 * Records `events` for publication in the caller's transaction, so they commit (or roll
 * back) with the state change that produced them; the OutboxRelay publishes them after the
 * commit. The topic comes from the catalogue, the bytes from the event codec. Returns the rows
 * as written, in `events` order, for `OutboxRelay.committed` once the transaction commits.
 */
export async function appendToOutbox(tx: RawSqlClient, events: readonly SluiceEvent[]): Promise<OutboxEntry[]> {
  if (events.length === 0) return [];
  const entries = events.map((event) => {
    const definition = definitionOf(event.type);
    if (!definition) throw new Error(`cannot append ${event.type} to the outbox: not in the event catalogue`);
    const encoded = encodeEvent(event);
    return { eventId: event.eventId, topic: definition.topic, key: encoded.key, headers: encoded.headers, value: encoded.value };
  });
  // One statement for the batch; ORDINALITY keeps the ids (publication order) in array order.
  const inserted = await tx.$queryRaw<{ id: bigint | number | string }[]>`
    INSERT INTO outbox (event_id, topic, key, headers, value)
    SELECT e.event_id, e.topic, e.key, e.headers::jsonb, decode(e.value, 'base64')
    FROM unnest(
      ${entries.map((r) => r.eventId)}::uuid[],
      ${entries.map((r) => r.topic)}::text[],
      ${entries.map((r) => r.key)}::text[],
      ${entries.map((r) => JSON.stringify(r.headers))}::text[],
      ${entries.map((r) => r.value.toString('base64'))}::text[]
    ) WITH ORDINALITY AS e(event_id, topic, key, headers, value, n)
    ORDER BY e.n
    RETURNING id`;
  const ids = inserted.map((row) => BigInt(row.id)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.map(({ topic, key, headers, value }, i) => ({ id: ids[i], topic, key, headers, value }));
}
