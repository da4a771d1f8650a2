import { Charged, ObjectSubmitted, ServiceHeartbeat } from './index';
import { createEvent, objectsOf, type EventOf } from './catalogue';
import { UndecodableEventError, decodeEvent, encodeEvent, recordFacts } from './codec';
import { Topics, type TopicName } from './topics';
import type { TopicEventMap } from './catalogue';

const deps = { now: () => new Date('2026-11-23T10:00:00.000Z'), newId: () => '7b1e4c1e-2a4b-4b8e-9a55-0c3d2f1e6a01' };
const ctx = { correlationId: 'task-1', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };

function submitted(): EventOf<'ObjectSubmitted'> {
  return createEvent(
    ObjectSubmitted,
    {
      objectId: 'obj-1',
      taskId: 'task-1',
      accountId: 'acc-1',
      index: 0,
      model: 'openai:gpt-4o',
      input: { text: 'Hello' },
      inputTokens: 2,
      maxOutputTokens: 256,
      slaMinutes: 60,
      deadlineAt: '2026-11-23T11:00:00.000Z',
      pricing: { kind: 'sla', basePrice: { inputMicrosPerMillion: 2_500_000, outputMicrosPerMillion: 10_000_000 }, priceFactor: 0.5 },
    },
    ctx,
    deps,
  );
}

describe('event codec', () => {
  it('round-trips an event with its envelope in headers and the partition key from the catalogue', () => {
    const event = submitted();
    const encoded = encodeEvent(event);
    expect(encoded.key).toBe('obj-1');
    expect(encoded.headers.traceparent).toBe(ctx.traceparent);
    expect(decodeEvent(encoded)).toEqual(event);
  });

  it('rejects a payload that breaks the schema when the event is created', () => {
    expect(() =>
      createEvent(ServiceHeartbeat, { service: 'nope' as 'api', instanceId: 'i', startedAt: deps.now().toISOString(), status: 'up' }, ctx, deps),
    ).toThrow();
  });

  it.each([
    ['unknown type', { 'sluice-event-type': 'Nope' }],
    ['version newer than this build', { 'sluice-event-version': '9' }],
    ['missing event id', { 'sluice-event-id': '' }],
  ])('refuses a record with %s', (_case, override) => {
    const encoded = encodeEvent(submitted());
    expect(() => decodeEvent({ ...encoded, headers: { ...encoded.headers, ...override } })).toThrow(UndecodableEventError);
  });

  it('refuses a payload that is not JSON or not the schema', () => {
    const encoded = encodeEvent(submitted());
    expect(() => decodeEvent({ ...encoded, value: Buffer.from('{oops') })).toThrow(/not JSON/);
    expect(() => decodeEvent({ ...encoded, value: Buffer.from('{"objectId":1}') })).toThrow(/payload invalid/);
  });
});

describe('upcasting', () => {
  it('reads a Charged v1 (decimal dollars) as v2 in integer micro-dollars', () => {
    const v2 = encodeEvent(
      createEvent(Charged, { accountId: 'acc-1', objectId: 'obj-1', amountMicros: 1, reservedMicros: 1 }, ctx, deps),
    );
    const v1 = {
      ...v2,
      headers: { ...v2.headers, 'sluice-event-version': '1' },
      value: Buffer.from(JSON.stringify({ accountId: 'acc-1', objectId: 'obj-1', amountUsd: 0.001234 })),
    };
    const decoded = decodeEvent(v1);
    expect(decoded.version).toBe(2);
    expect(decoded.payload).toEqual({ accountId: 'acc-1', objectId: 'obj-1', amountMicros: 1234, reservedMicros: 1234 });
  });
});

describe('topics table', () => {
  it('types publishing by topic so an event on the wrong topic does not compile', () => {
    const publish = <T extends TopicName>(topic: T, events: TopicEventMap[T][]) => ({ topic, count: events.length });
    expect(publish(Topics.objects, [submitted()])).toEqual({ topic: Topics.objects, count: 1 });
    // @ts-expect-error ObjectSubmitted belongs on the objects topic, not billing
    publish(Topics.billing, [submitted()]);
  });
});

describe('recordFacts: what a record says about itself, for the line about one that failed', () => {
  it('reads type, id, trace and object from a record that decodes, and from one that does not', () => {
    const encoded = encodeEvent(submitted());
    const objectId = submitted().payload.objectId;
    expect(recordFacts(encoded)).toEqual({ type: 'ObjectSubmitted', eventId: deps.newId(), traceparent: ctx.traceparent, objectIds: [objectId] });
    const unknown = { ...encoded, headers: { ...encoded.headers, 'sluice-event-type': 'ObjectTeleported' } };
    expect(() => decodeEvent(unknown)).toThrow(UndecodableEventError);
    expect(recordFacts(unknown)).toMatchObject({ type: 'ObjectTeleported', objectIds: [objectId] });
    expect(recordFacts({ ...encoded, value: Buffer.from('{not json') })).toMatchObject({ type: 'ObjectSubmitted', objectIds: [] });
  });

  it('names the objects of an event: its own, or every item of a provider batch', () => {
    expect(objectsOf(submitted())).toEqual([{ objectId: submitted().payload.objectId, accountId: submitted().payload.accountId }]);
    expect(objectsOf(createEvent(ServiceHeartbeat, { service: 'api', instanceId: 'i', startedAt: deps.now().toISOString(), status: 'up' }, ctx, deps))).toEqual([]);
  });
});
