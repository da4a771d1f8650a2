import { randomUUID } from 'node:crypto';
import { createEvent, encodeEvent, FundsReserved, ObjectCompleted, ObjectSubmitted, Topics, type EventOf, type SluiceEvent } from '@sluice/events';
import { toDeadLetter } from '@sluice/eventlog';
import { startServiceHarness, type ServiceHarness } from '@sluice/testing';
import { schedulerService } from '../service';
import { DEAD_LETTER_CONSUMER } from './dead-letter.consumer';

const basePrice = { inputMicrosPerMillion: 2_500_000, outputMicrosPerMillion: 10_000_000 };

describe('scheduler: dead letters end the object they concern', () => {
  let harness: ServiceHarness;
  beforeAll(async () => {
    harness = await startServiceHarness(schedulerService, { market: false });
  }, 60_000);
  afterAll(() => harness?.stop());

  function submitted(gateway = false): EventOf<'ObjectSubmitted'> {
    const taskId = randomUUID();
    return createEvent(
      ObjectSubmitted,
      {
        objectId: randomUUID(),
        taskId,
        accountId: 'acct-1',
        index: 0,
        model: 'openai:gpt-4o',
        input: { text: 'Hello' },
        inputTokens: 10,
        maxOutputTokens: 200,
        slaMinutes: null,
        deadlineAt: new Date(Date.now() + 5 * 60_000).toISOString(),
        pricing: { kind: 'sla', basePrice, priceFactor: 1 },
        ...(gateway ? { gateway: true as const } : {}),
      },
      { correlationId: taskId },
    );
  }

  /** What the log holds once `group` gave up on `event`. */
  const deadLetter = (event: SluiceEvent, group: string) =>
    harness.bus.log.publish(Topics.deadLetter, [toDeadLetter({ topic: Topics.objects, partition: 0, offset: 7, timestamp: 0, ...encodeEvent(event) }, group, 'Error: handler bug')]);

  const forObject = (o: EventOf<'ObjectSubmitted'>) => (e: { payload: { objectId: string } }) => e.payload.objectId === o.payload.objectId;
  const abandonments = (o: EventOf<'ObjectSubmitted'>) => harness.eventsOf('ObjectAbandoned').filter(forObject(o));
  const reserved = (o: EventOf<'ObjectSubmitted'>) =>
    createEvent(FundsReserved, { accountId: 'acct-1', objectId: o.payload.objectId, amountMicros: 100, availableMicros: 1_000 }, { correlationId: o.correlationId });
  /** Lets the scheduling consumer apply what was emitted before: an object emitted after it is dispatched. */
  async function scheduled(): Promise<void> {
    const probe = submitted();
    await harness.bus.emit([probe, reserved(probe)]);
    await harness.waitFor('ObjectDispatched', forObject(probe));
  }
  /** Lets the dead-letter consumer read what was published before: a marker dead letter after it is acted on. */
  async function settled(): Promise<void> {
    const marker = submitted();
    await harness.bus.emit([marker]);
    await deadLetter(marker, 'billing-objects');
    await harness.waitFor('ObjectAbandoned', forObject(marker));
  }

  it('ends an object waiting for its funds, naming the consumer, the event and the error; the same dead letter twice ends it once', async () => {
    const o = submitted();
    await harness.bus.emit([o]);
    await deadLetter(o, 'billing-objects');
    const abandoned = await harness.waitFor('ObjectAbandoned', forObject(o));
    expect(abandoned.payload).toMatchObject({ code: 'dead_lettered', accountId: 'acct-1' });
    expect(abandoned.payload.message).toMatch(/billing-objects could not handle ObjectSubmitted .*Error: handler bug/);
    await deadLetter(o, 'billing-objects');
    await deadLetter(o, 'files-outputs');
    await settled();
    expect(abandonments(o)).toHaveLength(1);
  });

  it('ends an object it never recorded when the dead letter is its submission (this scheduler gave up on it)', async () => {
    const o = submitted();
    await deadLetter(o, 'scheduler-scheduling');
    await harness.waitFor('ObjectAbandoned', forObject(o));
    // Its submission and reservation arriving later find it over: nothing is planned.
    await harness.bus.emit([o, reserved(o)]);
    await scheduled();
    expect(harness.eventsOf('ObjectScheduled').filter(forObject(o))).toEqual([]);
  });

  it('leaves alone a completed object, a real-time request, and its own failures', async () => {
    const done = submitted();
    await harness.bus.emit([done, reserved(done)]);
    await harness.waitFor('ObjectDispatched', forObject(done));
    const completed = createEvent(
      ObjectCompleted,
      { objectId: done.payload.objectId, accountId: 'acct-1', attempt: 1, providerId: 'swift', mode: 'live', inputTokens: 10, outputTokens: 5, output: { text: 'hi' }, providerCostMicros: 1, latencyMs: 1 },
      { correlationId: done.correlationId },
    );
    await harness.bus.emit([completed]);
    const served = submitted(true);
    const mine = submitted();
    await harness.bus.emit([mine]);
    await scheduled();
    await deadLetter(completed, 'files-outputs');
    await deadLetter(served, 'billing-objects');
    await deadLetter(mine, DEAD_LETTER_CONSUMER);
    await settled();
    expect([...abandonments(done), ...abandonments(served), ...abandonments(mine)]).toEqual([]);
  });
});
