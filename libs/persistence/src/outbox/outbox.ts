import { definitionOf, encodeEvent, type SluiceEvent } from '@sluice/events';
import type { RawSqlClient } from '../raw-sql-client';

/**
 * Records `events` for publication in the caller's transaction, so they commit (or roll
 * back) with the state change that produced them; the OutboxRelay publishes them after the
 * commit. The topic comes from the catalogue, the bytes from the event codec.
 */
export async function appendToOutbox(tx: RawSqlClient, events: readonly SluiceEvent[]): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map((event) => {
    const definition = definitionOf(event.type);
    if (!definition) throw new Error(`cannot append ${event.type} to the outbox: not in the event catalogue`);
    const encoded = encodeEvent(event);
    return {
      eventId: event.eventId,
      topic: definition.topic,
      key: encoded.key,
      headers: JSON.stringify(encoded.headers),
      value: encoded.value.toString('base64'),
    };
  });
  // One statement for the batch; ORDINALITY keeps the ids (publication order) in array order.
  await tx.$executeRaw`
    INSERT INTO outbox (event_id, topic, key, headers, value)
    SELECT e.event_id, e.topic, e.key, e.headers::jsonb, decode(e.value, 'base64')
    FROM unnest(
      ${rows.map((r) => r.eventId)}::uuid[],
      ${rows.map((r) => r.topic)}::text[],
      ${rows.map((r) => r.key)}::text[],
      ${rows.map((r) => r.headers)}::text[],
      ${rows.map((r) => r.value)}::text[]
    ) WITH ORDINALITY AS e(event_id, topic, key, headers, value, n)
    ORDER BY e.n`;
}
