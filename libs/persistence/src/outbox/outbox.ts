import { definitionOf, encodeEvent, type SluiceEvent } from '@sluice/events';
import type { RawSqlClient } from '../raw-sql-client';
import { BUNDLE_MIN_EVENTS, encodeBundle } from './outbox-bundle';

/**
 * Records `events` for publication in the caller's transaction, so they commit (or roll
 * back) with the state change that produced them; the OutboxRelay publishes them after the
 * commit. The topic comes from the catalogue, the bytes from the event codec. An append of
 * BUNDLE_MIN_EVENTS or more is one bundle row (`bundle`: its value holds them all; event_id,
 * topic and key are its first event's), fewer are a row each.
 */
export async function appendToOutbox(tx: RawSqlClient, events: readonly SluiceEvent[]): Promise<void> {
  if (events.length === 0) return;
  const records = events.map((event) => {
    const definition = definitionOf(event.type);
    if (!definition) throw new Error(`cannot append ${event.type} to the outbox: not in the event catalogue`);
    return { eventId: event.eventId, topic: definition.topic, ...encodeEvent(event) };
  });
  if (records.length >= BUNDLE_MIN_EVENTS) {
    const [first] = records;
    await tx.$executeRaw`
      INSERT INTO outbox (event_id, topic, key, headers, value, bundle)
      VALUES (${first.eventId}::uuid, ${first.topic}, ${first.key}, '{}'::jsonb, ${encodeBundle(records)}, true)`;
    return;
  }
  // One statement for the batch; ORDINALITY keeps the ids (publication order) in array order.
  await tx.$executeRaw`
    INSERT INTO outbox (event_id, topic, key, headers, value)
    SELECT e.event_id, e.topic, e.key, e.headers::jsonb, decode(e.value, 'base64')
    FROM unnest(
      ${records.map((r) => r.eventId)}::uuid[],
      ${records.map((r) => r.topic)}::text[],
      ${records.map((r) => r.key)}::text[],
      ${records.map((r) => JSON.stringify(r.headers))}::text[],
      ${records.map((r) => r.value.toString('base64'))}::text[]
    ) WITH ORDINALITY AS e(event_id, topic, key, headers, value, n)
    ORDER BY e.n`;
}
