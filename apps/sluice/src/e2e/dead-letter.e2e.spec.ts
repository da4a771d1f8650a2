import { objectsOf, type SluiceEvent } from '@sluice/events';
import { EventBus } from '@sluice/eventlog';
import { captureLogs, objectTraceparent, traceFields } from '@sluice/telemetry';
import { until } from './http';
import { callAt, openAccountAt, realtimeRequest, type Inference } from './realtime.scenario';
import { startEmbeddedForTest, type TestEngine } from './test-engine';

jest.setTimeout(180_000);

const ADMIN_KEY = 'sk_admin_e2e_dead_letter_0123456789';
const CREDIT_USD = 2;

/** A handler bug for one consumer group: it throws on every delivery of one event type of one account. */
interface Poison {
  group: string;
  type: SluiceEvent['type'];
  accountId: string;
  /** The event it threw on (for its trace id). */
  seen?: SluiceEvent;
}
let poison: Poison | null = null;

type SubscribeOptions = Parameters<EventBus['subscribe']>[0];
const subscribe = EventBus.prototype.subscribe;
// Every consumer of every service subscribes through the EventBus (the write side's `consume`
// too): wrapping its handler is how a handler that keeps throwing is made, without changing a
// service. The services run on this thread (SLUICE_SERVICE_THREAD=false), so they see the wrapper.
jest.spyOn(EventBus.prototype, 'subscribe').mockImplementation(function (this: EventBus, options: SubscribeOptions) {
  const named = options as { groupId?: string; consumer?: { name: string } };
  const group = named.groupId ?? named.consumer?.name;
  const handle = options.handle as (events: SluiceEvent[], ctx: unknown) => Promise<void>;
  const poisoned = async (events: SluiceEvent[], ctx: unknown) => {
    const p = poison;
    const hit = p && p.group === group ? events.find((e) => e.type === p.type && objectsOf(e).some((o) => o.accountId === p.accountId)) : undefined;
    if (p && hit) {
      p.seen = hit;
      throw new Error(`test poison: ${group} throws on ${hit.type}`);
    }
    await handle(events, ctx);
  };
  return subscribe.call(this, { ...options, handle: poisoned } as SubscribeOptions);
});

interface ObjectView {
  status: string;
  error: { code: string; message: string } | null;
}

/**
 * At 08:00 UTC a day-long GPT-4o item waits for the off-peak window eight and a half hours later
 * (at scale 1, for the whole test): not over when its poisoned event is given up on. An hour-long
 * one cannot wait for that window and goes to a provider batch job instead.
 */
const SLA_ITEM = { sla: 1440, model: 'openai:gpt-4o', input: 'Describe the process of photosynthesis.' };
const BATCH_ITEM = { sla: 60, model: 'openai:gpt-4o', input: 'Describe the process of photosynthesis.' };
const NOW_ITEM = { model: 'qwen-7b', input: 'Name three prime numbers.' };

async function expectEndedAndReleased(engine: TestEngine, logs: ReturnType<typeof captureLogs>, p: Poison, item: object): Promise<void> {
  const url = engine.sluice.url;
  const { key, accountId } = await openAccountAt(url, ADMIN_KEY, `poison-${p.group}`, CREDIT_USD);
  poison = { ...p, accountId };
  const submitted = await callAt<{ objects: { object_id: string }[] }>(url, 'POST', '/v0/infer/', key, [item]);
  expect(submitted.status).toBeLessThan(300);
  const objectId = submitted.body.objects[0].object_id;

  // What the customer sees: the object failed with the clear error, and nothing of the wallet held or charged.
  const object = await until(`${objectId} to fail`, async () => {
    const got = await callAt<ObjectView>(url, 'GET', `/v0/infer/object/${objectId}`, key);
    return got.body.status === 'failed' ? got.body : undefined;
  }, 60_000);
  expect(object.error?.code).toBe('dead_lettered');
  expect(object.error?.message).toContain(p.group);
  expect(object.error?.message).toContain(p.type);
  await until('the reservation to be released', async () => {
    const balance = await callAt<{ current_balance_usd: number }>(url, 'GET', '/v1/balance', key);
    return balance.body.current_balance_usd === CREDIT_USD ? true : undefined;
  }, 30_000);

  // What the operator sees: one line at error in the object's trace, and the counter.
  const seen = poison?.seen;
  expect(seen).toBeDefined();
  // The event's trace, else its (first) object's: every service derives that one the same way.
  const traceId = (traceFields(seen?.traceparent ?? objectTraceparent(objectsOf(seen as SluiceEvent)[0].objectId)) as { trace_id?: string }).trace_id;
  expect(traceId).toMatch(/^[0-9a-f]{32}$/);
  const lines = logs.lines().filter((l) => l.msg === 'event dead-lettered' && l.group === p.group && l.eventType === p.type);
  const line = lines.find((l) => l.objectId === objectId || (Array.isArray(l.objectIds) && l.objectIds.includes(objectId)));
  expect(line).toMatchObject({ level: 'error', trace_id: traceId, reason: expect.stringContaining('test poison') });
  const metrics = await (await fetch(`${url}/metrics`)).text();
  expect(metrics).toMatch(new RegExp(`sluice_dead_lettered_total\\{[^}]*group="${p.group.replace('.', '\\.')}"[^}]*type="${p.type}"[^}]*\\} [1-9]`));
  poison = null;
}

describe('a poison event is never silent: the object it concerns ends failed and its funds are released', () => {
  let engine: TestEngine;
  let logs: ReturnType<typeof captureLogs>;
  beforeAll(async () => {
    logs = captureLogs('info');
    engine = await startEmbeddedForTest({
      name: 'dead-letter',
      adminKey: ADMIN_KEY,
      env: { SLUICE_SERVICE_THREAD: 'false', SLUICE_TIME_SCALE: '1', SLUICE_CLOCK_ORIGIN: '2030-01-02T08:00:00.000Z' },
    });
  });
  afterAll(async () => {
    await engine?.stop();
    logs?.restore();
  });

  it.each<[string, SluiceEvent['type'], object]>([
    ['billing-objects', 'ObjectSubmitted', SLA_ITEM],
    ['scheduler-scheduling', 'FundsReserved', SLA_ITEM],
    ['api-read-models', 'ObjectScheduled', SLA_ITEM],
    ['files-outputs', 'ObjectSubmitted', SLA_ITEM],
    ['router.dispatch', 'ObjectDispatched', NOW_ITEM],
  ])('%s giving up on %s', async (group, type, item) => {
    await expectEndedAndReleased(engine, logs, { group, type, accountId: '' }, item);
  });

  it('leaves an object that is over already as it ended: a dead-lettered completion does not fail it again', async () => {
    const url = engine.sluice.url;
    const { key, accountId } = await openAccountAt(url, ADMIN_KEY, 'poison-after-the-end', CREDIT_USD);
    poison = { group: 'files-outputs', type: 'ObjectCompleted', accountId };
    const submitted = await callAt<{ objects: { object_id: string; status: string }[] }>(url, 'POST', '/v0/infer/', key, [NOW_ITEM]);
    const objectId = submitted.body.objects[0].object_id;
    await until('the completion to be dead-lettered', async () => (logs.lines().some((l) => l.msg === 'event dead-lettered' && l.objectId === objectId) ? true : undefined), 30_000);
    // The scheduler's turn at the dead letter comes next; the object stays completed and charged.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const object = await callAt<ObjectView>(url, 'GET', `/v0/infer/object/${objectId}`, key);
    expect(object.body).toMatchObject({ status: 'completed', error: null });
    const balance = await callAt<{ current_balance_usd: number }>(url, 'GET', '/v1/balance', key);
    expect(balance.body.current_balance_usd).toBeLessThan(CREDIT_USD);
    poison = null;
  });

  it('leaves a real-time request as the gateway answered and recorded it', async () => {
    const url = engine.sluice.url;
    const { key, accountId } = await openAccountAt(url, ADMIN_KEY, 'poison-realtime', CREDIT_USD);
    poison = { group: 'billing-objects', type: 'ObjectSubmitted', accountId };
    const answered = await callAt<Inference>(url, 'POST', '/v1/inference', key, realtimeRequest);
    expect(answered.status).toBe(200);
    await until('the submission to be dead-lettered', async () => (logs.lines().some((l) => l.msg === 'event dead-lettered' && l.objectId === answered.body.id) ? true : undefined), 30_000);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const object = await callAt<ObjectView>(url, 'GET', `/v0/infer/object/${answered.body.id}`, key);
    expect(object.body).toMatchObject({ status: 'completed', error: null });
    poison = null;
  });
});

describe('a poison provider batch: each of its objects ends failed and is released', () => {
  let engine: TestEngine;
  let logs: ReturnType<typeof captureLogs>;
  beforeAll(async () => {
    logs = captureLogs('info');
    // 120× from a peak hour: the batch group's five-minute wait passes in 2.5 s, and a loaded
    // machine does not reach the off-peak hours (at 600× it did: the item then ran live).
    engine = await startEmbeddedForTest({
      name: 'dead-letter-batch',
      adminKey: ADMIN_KEY,
      env: { SLUICE_SERVICE_THREAD: 'false', SLUICE_TIME_SCALE: '120', SLUICE_CLOCK_ORIGIN: '2030-01-02T08:00:00.000Z' },
    });
  });
  afterAll(async () => {
    await engine?.stop();
    logs?.restore();
  });

  it('router.batch giving up on BatchDispatched', async () => {
    await expectEndedAndReleased(engine, logs, { group: 'router.batch', type: 'BatchDispatched', accountId: '' }, BATCH_ITEM);
  });
});
