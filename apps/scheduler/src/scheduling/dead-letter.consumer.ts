import { createHash } from 'node:crypto';
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Topics, objectsOf, servedByGateway, type SluiceEvent, timeOrderedId } from '@sluice/events';
import { readDeadLetter, type DeadLetter, type LogRecord, type RecordBatch, type Subscription } from '@sluice/eventlog';
import type { RawSqlClient } from '@sluice/persistence';
import { EventStore, SERVICE_RUNTIME, type ServiceRuntime } from '@sluice/platform';
import { logger, traceFields } from '@sluice/telemetry';
import { decide, endDeadLettered, type DecideContext, type ScheduledObject } from './scheduled-object.decider';
import { loadObjects, saveObjects } from './scheduled-object.store';

export const DEAD_LETTER_CONSUMER = 'scheduler-dead-letters';

const log = logger('dead-letters', 'scheduler');

/** A dead letter this consumer acts on: a decoded event of objects the gateway did not serve. */
interface Actionable {
  /** Processed id: one per (group, event), so the same event dead-lettered again changes nothing. */
  id: string;
  letter: DeadLetter & { event: SluiceEvent };
}

/** A uuid fixed by its text (the processed-event table keys on uuids). */
function uuidOf(text: string): string {
  const hex = createHash('sha256').update(text).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function actionable(record: LogRecord): Actionable | null {
  const letter = readDeadLetter(record);
  // Its own failures are not acted on again (they would come back here), an undecodable record
  // names no object one can trust, and a real-time request ended before its events were written.
  if (letter.group === DEAD_LETTER_CONSUMER || letter.event === null || servedByGateway(letter.event)) return null;
  if (objectsOf(letter.event).length === 0) return null;
  return { id: uuidOf(`${letter.group}\u0000${letter.event.eventId}`), letter: letter as Actionable['letter'] };
}

/**
 * Reads the dead-letter topic and ends the objects a consumer gave up on. The scheduler does it
 * because it owns how an SLA object ends (it emits ObjectAbandoned, on which billing releases the
 * reservation and the read models show the object failed) and knows, row by row and under the
 * row's lock, whether an object is over already: one that ended stays as it ended. A real-time
 * request is not the scheduler's (the gateway answered and recorded it), so it is left alone.
 * Each dead letter is applied once (processed ids in the transaction of its effect).
 */
@Injectable()
export class DeadLetterConsumer implements OnModuleInit, OnApplicationShutdown {
  private subscription?: Subscription;

  constructor(
    private readonly store: EventStore,
    @Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime,
  ) {}

  async onModuleInit(): Promise<void> {
    this.subscription = await this.runtime.bus.log.subscribe({
      groupId: DEAD_LETTER_CONSUMER,
      topics: [Topics.deadLetter],
      fromBeginning: true,
      deadLetterTopic: Topics.deadLetter,
      handleBatch: (batch) => this.handle(batch),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.stop();
  }

  async handle(batch: RecordBatch): Promise<void> {
    const letters = batch.records.map(actionable).filter((a): a is Actionable => a !== null);
    if (letters.length === 0) return;
    const ended = await this.store.transact(async (tx) => {
      const fresh = await claim(tx, letters);
      if (fresh.length === 0) return { result: [] as string[], events: [] };
      const now = this.runtime.clock.now();
      const ctx: DecideContext = { catalogue: this.runtime.catalogue, now, deps: { now: () => now, newId: timeOrderedId } };
      const objects = await loadObjects(tx, [...new Set(fresh.flatMap((a) => objectsOf(a.letter.event).map((o) => o.objectId)))]);
      const changed = new Map<string, ScheduledObject>();
      const events: SluiceEvent[] = [];
      for (const { letter } of fresh) {
        for (const { objectId } of objectsOf(letter.event)) {
          const current = objects.get(objectId) ?? unseen(letter.event, ctx);
          if (!current) {
            log.warn({ ...traceFields(letter.event.traceparent), objectId, group: letter.group, eventType: letter.event.type }, 'dead-lettered event of an object the scheduler does not know; left alone');
            continue;
          }
          const decision = endDeadLettered(current, { group: letter.group, eventType: letter.event.type, reason: letter.reason }, ctx);
          if (decision.events.length === 0 || !decision.state) continue;
          objects.set(objectId, decision.state);
          changed.set(objectId, decision.state);
          events.push(...decision.events);
        }
      }
      await saveObjects(tx, [...changed.values()]);
      return { result: [...changed.keys()], events };
    });
    for (const objectId of ended) log.info({ objectId }, 'object ended after a dead-lettered event (dead_lettered), its reservation released');
  }
}

/** The dead letters not applied before, their ids recorded in this transaction. */
async function claim(tx: RawSqlClient, letters: readonly Actionable[]): Promise<Actionable[]> {
  const rows = await tx.$queryRaw<{ event_id: string }[]>`
    INSERT INTO processed_event (consumer, event_id)
    SELECT ${DEAD_LETTER_CONSUMER}, id FROM unnest(${[...new Set(letters.map((a) => a.id))]}::uuid[]) AS id
    ON CONFLICT DO NOTHING
    RETURNING event_id::text`;
  const fresh = new Set(rows.map((r) => r.event_id));
  return letters.filter((a) => fresh.delete(a.id));
}

/**
 * An object the scheduler has no row for: only its submission can say it is an SLA object (a
 * consumer, maybe this scheduler's, gave up on it before the scheduler recorded it), and the
 * row it starts is then ended; any later event of it finds the object over.
 */
function unseen(event: SluiceEvent, ctx: DecideContext): ScheduledObject | null {
  if (event.type !== 'ObjectSubmitted') return null;
  return decide(null, event, ctx).state;
}
