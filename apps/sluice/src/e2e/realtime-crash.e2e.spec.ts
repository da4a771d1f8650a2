import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeEvent, TopicSpecs, Topics, type EventOf, type SluiceEvent, type TopicName } from '@sluice/events';
import { createEventLog } from '@sluice/eventlog';
import { openServiceDatabase } from '@sluice/persistence';
import { LEDGER_CHECK, runOperatorCommand } from './operator-commands';
import { SluiceChild } from './sluice-child';

/**
 * The real-time gateway's money invariants across a SIGKILL, on the embedded engine as
 * `npm start` runs it (a child process, killed with no chance to flush anything):
 *
 *   - every request that got a 200 is charged exactly once, for its billing.cost_usd;
 *   - a charge belongs to a request whose outcome was recorded (ObjectCompleted on the log).
 *     A request recorded in the instant before the kill whose answer never reached the client
 *     is charged too, legitimately: the rule is "answered ⇒ charged once" and "charged ⇒
 *     recorded", never "unanswered ⇒ free";
 *   - every recorded outcome is charged (the outbox survives the kill), nothing twice;
 *   - an admission hold whose request died before recording anything is dropped after its
 *     expiry, and then the balance is exactly credit − Σ charges, and `ledger:check` passes.
 *
 * Waiting out a hold's real TTL (GATEWAY_HOLD_TTL_SECONDS, 5 minutes) would make this test
 * take minutes, so between the kill and the restart the test opens the API's database, checks
 * that those holds (and only those: the settled holds of recorded requests never expire) expire
 * the TTL after their admission, and moves that expiry into the past — what the passing of
 * five minutes would do. The restarted process's own sweeper (every 30 s) must then
 * drop them, which GET /v1/balance shows.
 */

jest.setTimeout(150_000);

const ADMIN_KEY = 'sk_admin_e2e_realtime_crash_0123456789';
/** apps/api's GATEWAY_HOLD_TTL_SECONDS (apps never import apps). */
const HOLD_TTL_MS = 300_000;
/** The gateway's sweeper runs every 30 s; give the restarted process that and its start. */
const SWEEP_WAIT_MS = 60_000;

const CREDIT_USD = 5;
const TOTAL = 400;
const CONCURRENCY = 20;
const KILL_AFTER_ANSWERS = 150;
const PROFILES = ['economy', 'balanced', 'fast'] as const;

const usdToMicros = (usd: number) => Math.round(usd * 1_000_000);

const CHILD_ENV = {
  SLUICE_ADMIN_KEY: ADMIN_KEY,
  // Providers answer in a few milliseconds to ~80 ms: a kill finds requests both inside a
  // provider call (held, nothing recorded) and between the record and the answer.
  SLUICE_DEMO_LATENCY_SCALE: '0.02',
};

async function call<T>(url: string, method: string, path: string, key: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, body: (await res.json()) as T };
}

interface Inference {
  id: string;
  status: string;
  billing: { cost_usd: number; balance_remaining_usd: number };
}

const balanceMicros = async (url: string, key: string) =>
  usdToMicros((await call<{ current_balance_usd: number }>(url, 'GET', '/v1/balance', key)).body.current_balance_usd);

/** Every event of `topics` on the stopped data folder's log, read by a throwaway consumer group. */
async function readLog(dataDir: string, topics: TopicName[]): Promise<SluiceEvent[]> {
  const log = await createEventLog({ kind: 'embedded', dir: join(dataDir, 'log') });
  try {
    const ends = new Map<string, number>();
    for (const spec of TopicSpecs.filter((t) => topics.includes(t.name))) {
      for (let partition = 0; partition < spec.partitions; partition++) {
        const end = await log.endOffset({ topic: spec.name, partition });
        if (end > 0) ends.set(`${spec.name}/${partition}`, end);
      }
    }
    const events: SluiceEvent[] = [];
    const undecodable: string[] = [];
    const progress = new Map<string, number>();
    const caughtUp = () => [...ends].every(([tp, end]) => (progress.get(tp) ?? 0) >= end);
    let done: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const subscription = await log.subscribe({
      groupId: `realtime-crash-check-${randomUUID()}`,
      topics,
      fromBeginning: true,
      deadLetterTopic: Topics.deadLetter,
      handleBatch: async (batch) => {
        for (const record of batch.records) {
          try {
            events.push(decodeEvent(record));
          } catch (err) {
            // Kept, not thrown: a throw would make this reader dead-letter it into the log under test.
            undecodable.push(`${batch.topic}/${batch.partition}@${record.offset}: ${(err as Error).message}`);
          }
        }
        progress.set(`${batch.topic}/${batch.partition}`, batch.records[batch.records.length - 1].offset + 1);
        if (caughtUp()) done();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      if (caughtUp()) done();
      await Promise.race([finished, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the log was not read within 30 s')), 30_000)))]);
    } finally {
      clearTimeout(timer);
      await subscription.stop();
    }
    if (undecodable.length > 0) throw new Error(`undecodable records on the log:\n${undecodable.join('\n')}`);
    return events;
  } finally {
    await log.close();
  }
}

async function deadLetters(dataDir: string): Promise<number> {
  const log = await createEventLog({ kind: 'embedded', dir: join(dataDir, 'log') });
  try {
    return await log.endOffset({ topic: Topics.deadLetter, partition: 0 });
  } finally {
    await log.close();
  }
}

interface HoldRow {
  object_id: string;
  amount_micros: bigint | number;
  expires_at: Date | string | null;
}

/** Runs `fn` on the stopped API's own database (PGlite under the data folder). */
async function withApiDatabase<T>(dataDir: string, fn: (sql: Awaited<ReturnType<typeof openServiceDatabase>>['sql']) => Promise<T>): Promise<T> {
  const db = await openServiceDatabase({ service: 'api', mode: 'embedded', dataDir });
  try {
    return await fn(db.sql);
  } finally {
    await db.close();
  }
}

type Fate =
  | { kind: 'answered'; id: string; costMicros: number }
  | { kind: 'refused'; status: number }
  /** The connection died with the process: no answer (the outcome may or may not be recorded). */
  | { kind: 'lost' };

describe('real-time gateway: SIGKILL in the middle of a stream of requests, then restart (embedded, child process)', () => {
  let dataDir: string;
  let sluice: SluiceChild | undefined;
  const fates = new Map<number, Fate>();
  const answered = new Map<number, { id: string; costMicros: number }>();
  let accountId: string;
  let key: string;
  let streamStartedAt = 0;
  let killedAt = 0;
  /** The API database right after the kill. */
  let atKill: { holds: HoldRow[]; records: { object_id: string; customer_ref: string | null; costMicros: number }[] };
  /** Phase B, after the restart. */
  let readBack: Map<string, { status: number; body: Inference }>;
  let balanceAfterSweep: { micros: number; expected: number; waitedMs: number };
  let finalBalanceMicros: number;
  let catchUpRestarts = 0;
  /** After the last stop: the log's events (each once), and the copies the log holds of some. */
  let events: SluiceEvent[];
  const redelivered: { first: SluiceEvent; again: SluiceEvent }[] = [];
  let holdsAtEnd: HoldRow[];
  let balanceView: { available_micros: bigint | number; gateway_held_micros: bigint | number } | undefined;
  let ledgerExit: number;
  let deadLettered: number;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sluice-realtime-crash-'));

    // Phase A: a fresh Sluice, a funded account, a stream of requests, SIGKILL mid-stream.
    sluice = SluiceChild.start(dataDir, CHILD_ENV);
    let url = await sluice.url;
    const created = await call<{ account_id: string; api_key: string }>(url, 'POST', '/v0/admin/accounts', ADMIN_KEY, { name: 'crash', credit_usd: CREDIT_USD });
    expect(created.status).toBe(201);
    ({ account_id: accountId, api_key: key } = created.body);
    for (const deadline = Date.now() + 30_000; (await balanceMicros(url, key)) !== usdToMicros(CREDIT_USD); await sleep(50)) {
      if (Date.now() > deadline) throw new Error('the credit never reached the wallet');
    }

    const victim = sluice;
    let next = 0;
    streamStartedAt = Date.now();
    const worker = async () => {
      while (victim.running && killedAt === 0 && next < TOTAL) {
        const index = next++;
        const body = { model: 'qwen-7b', input: `Crash test request ${index}: say something.`, max_output_tokens: 64, performance_profile: PROFILES[index % 3], customer_ref: `crash-${index}` };
        try {
          const res = await call<Inference>(url, 'POST', '/v1/inference', key, body);
          if (res.status === 200) {
            const costMicros = usdToMicros(res.body.billing.cost_usd);
            fates.set(index, { kind: 'answered', id: res.body.id, costMicros });
            answered.set(index, { id: res.body.id, costMicros });
            if (answered.size === KILL_AFTER_ANSWERS) {
              victim.kill();
              killedAt = Date.now();
            }
          } else {
            fates.set(index, { kind: 'refused', status: res.status });
          }
        } catch {
          fates.set(index, { kind: 'lost' });
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(killedAt).toBeGreaterThan(0);
    expect((await victim.exited).signal).toBe('SIGKILL');

    // Between the kill and the restart: what the API database recorded, and the holds left.
    atKill = await withApiDatabase(dataDir, async (sql) => {
      const holds = await sql.$queryRaw<HoldRow[]>`SELECT object_id, amount_micros, expires_at FROM gateway_hold WHERE account_id = ${accountId}`;
      const records = await sql.$queryRaw<{ object_id: string; customer_ref: string | null; response: Inference }[]>`
        SELECT object_id, customer_ref, response FROM inference_record WHERE account_id = ${accountId}`;
      // Five minutes pass for the holds that can expire (requests that never recorded an outcome).
      await sql.$executeRaw`UPDATE gateway_hold SET expires_at = now() - interval '1 second' WHERE expires_at IS NOT NULL`;
      return { holds, records: records.map((r) => ({ object_id: r.object_id, customer_ref: r.customer_ref, costMicros: usdToMicros(r.response.billing.cost_usd) })) };
    });

    // Phase B: restart on the same data folder; the answers are there, the sweeper drops the dead holds.
    sluice = SluiceChild.start(dataDir, CHILD_ENV);
    url = await sluice.url;
    readBack = new Map();
    for (const { id } of answered.values()) readBack.set(id, await call<Inference>(url, 'GET', `/v1/inference/${id}`, key));
    const expected = usdToMicros(CREDIT_USD) - atKill.records.reduce((sum, r) => sum + r.costMicros, 0);
    const started = Date.now();
    let micros = await balanceMicros(url, key);
    while (micros !== expected && Date.now() - started < SWEEP_WAIT_MS) {
      await sleep(250);
      micros = await balanceMicros(url, key);
    }
    balanceAfterSweep = { micros, expected, waitedMs: Date.now() - started };
    // Billing charges off the request path, out of sight (the balance counts a served request
    // from its answer on). Its mark is in the API's database: a recorded request's hold goes
    // when its Charged is projected. So stop, look, and give it more time if holds remain.
    await sleep(2_000);
    finalBalanceMicros = await balanceMicros(url, key);
    await sluice.stop();
    const holdsLeft = () => withApiDatabase(dataDir, async (sql) => (await sql.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM gateway_hold`)[0].n);
    for (let round = 0; round < 4 && (await holdsLeft()) > 0; round++) {
      catchUpRestarts++;
      sluice = SluiceChild.start(dataDir, CHILD_ENV);
      url = await sluice.url;
      await sleep(5_000);
      finalBalanceMicros = await balanceMicros(url, key);
      await sluice.stop();
    }
    sluice = undefined;

    // The stopped data folder: the log, the API's holds and wallet view, the ledger.
    // Delivery is at-least-once: an outbox relay killed between publishing and deleting its rows
    // publishes them again after the restart, as the same events (same eventId), which every
    // consumer applies once. Charging twice would be two distinct Charged events for an object.
    const byEventId = new Map<string, SluiceEvent>();
    for (const event of await readLog(dataDir, [Topics.objects, Topics.billing])) {
      const first = byEventId.get(event.eventId);
      if (first) redelivered.push({ first, again: event });
      else byEventId.set(event.eventId, event);
    }
    events = [...byEventId.values()];
    deadLettered = await deadLetters(dataDir);
    ({ holdsAtEnd, balanceView } = await withApiDatabase(dataDir, async (sql) => ({
      holdsAtEnd: await sql.$queryRaw<HoldRow[]>`SELECT object_id, amount_micros, expires_at FROM gateway_hold`,
      balanceView: (
        await sql.$queryRaw<{ available_micros: bigint | number; gateway_held_micros: bigint | number }[]>`
          SELECT available_micros, gateway_held_micros FROM balance_view WHERE account_id = ${accountId}`
      )[0],
    })));
    ledgerExit = await runOperatorCommand(LEDGER_CHECK, ['--data-dir', dataDir]);

    const count = (kind: Fate['kind']) => [...fates.values()].filter((f) => f.kind === kind).length;
    const lostButRecorded = atKill.records.filter((r) => ![...answered.values()].some((a) => a.id === r.object_id)).length;
    console.log(
      `realtime crash: ${fates.size} sent, ${count('answered')} answered, ${count('refused')} refused, ${count('lost')} lost to the kill ` +
        `(${lostButRecorded} of them recorded, ${atKill.holds.filter((h) => h.expires_at !== null).length} held without an outcome); ` +
        `${redelivered.length} event(s) on the log twice (${[...new Set(redelivered.map((r) => r.again.type))].join(', ') || 'none'}); ` +
        `balance settled ${balanceAfterSweep.waitedMs} ms after the restart, ${catchUpRestarts} more restart(s) for billing to catch up`,
    );
  });

  afterAll(async () => {
    if (sluice?.running) {
      sluice.kill();
      await sluice.exited;
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const ofAccount = <T extends SluiceEvent['type']>(type: T) =>
    events.filter((e): e is EventOf<T> => e.type === type && (e.payload as { accountId?: string }).accountId === accountId);
  const charges = () => {
    const byObject = new Map<string, number[]>();
    for (const e of ofAccount('Charged')) {
      byObject.set(e.payload.objectId, [...(byObject.get(e.payload.objectId) ?? []), e.payload.amountMicros]);
    }
    return byObject;
  };
  const completed = () => new Set(ofAccount('ObjectCompleted').map((e) => e.payload.objectId));
  const submitted = () => ofAccount('ObjectSubmitted');

  it('was killed mid-stream: some requests answered, some in flight, some never sent', () => {
    expect(answered.size).toBeGreaterThanOrEqual(KILL_AFTER_ANSWERS);
    expect([...fates.values()].some((f) => f.kind === 'lost')).toBe(true);
    expect(fates.size).toBeLessThan(TOTAL);
  });

  it('recorded every answered request before answering it, and no hold of an answered request can expire', () => {
    const recorded = new Map(atKill.records.map((r) => [r.object_id, r]));
    for (const [index, { id, costMicros }] of answered) {
      expect(recorded.get(id)).toEqual({ object_id: id, customer_ref: `crash-${index}`, costMicros });
    }
    for (const hold of atKill.holds) {
      if (hold.expires_at === null) {
        expect(recorded.has(hold.object_id)).toBe(true);
      } else {
        expect(recorded.has(hold.object_id)).toBe(false);
        // It expires the TTL after its admission, which was during the stream.
        const expiresAt = new Date(hold.expires_at).getTime();
        expect(expiresAt).toBeGreaterThanOrEqual(streamStartedAt + HOLD_TTL_MS - 5_000);
        expect(expiresAt).toBeLessThanOrEqual(killedAt + HOLD_TTL_MS + 5_000);
      }
    }
  });

  it('answers GET /v1/inference/{id} after the restart with the same cost', () => {
    for (const { id, costMicros } of answered.values()) {
      const read = readBack.get(id)!;
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({ id, status: 'success' });
      expect(usdToMicros(read.body.billing.cost_usd)).toBe(costMicros);
    }
  });

  it('holds a second copy of an event on the log only as the same event published again', () => {
    for (const { first, again } of redelivered) expect(again).toEqual(first);
  });

  it('charges every request that got a 200 exactly once, for its billing.cost_usd', () => {
    const byObject = charges();
    for (const { id, costMicros } of answered.values()) expect(byObject.get(id)).toEqual([costMicros]);
  });

  it('charges nothing twice, and only requests whose outcome was recorded; every recorded outcome is charged', () => {
    const byObject = charges();
    for (const [objectId, amounts] of byObject) expect({ objectId, amounts: amounts.length }).toEqual({ objectId, amounts: 1 });
    const done = completed();
    expect([...byObject.keys()].sort()).toEqual([...done].sort());
    // What the API database recorded before the kill is exactly what reached the log.
    expect([...done].sort()).toEqual(atKill.records.map((r) => r.object_id).sort());
    for (const r of atKill.records) expect(byObject.get(r.object_id)).toEqual([r.costMicros]);
  });

  it('charges a request whose answer the kill swallowed only if it was in flight at the kill, once per request', () => {
    const refs = new Map<string, string[]>();
    for (const e of submitted()) refs.set(e.payload.customerRef ?? '', [...(refs.get(e.payload.customerRef ?? '') ?? []), e.payload.objectId]);
    for (const [ref, objectIds] of refs) {
      const index = Number(/^crash-(\d+)$/.exec(ref)?.[1]);
      expect({ ref, sent: fates.has(index), objects: objectIds.length }).toEqual({ ref, sent: true, objects: 1 });
      const fate = fates.get(index)!;
      if (fate.kind === 'answered') expect(objectIds[0]).toBe(fate.id);
      else if (charges().has(objectIds[0])) expect({ ref, fate: fate.kind }).toEqual({ ref, fate: 'lost' });
    }
  });

  it('never recorded nor charged a request that died inside its provider call; its hold expired', () => {
    const expiring = atKill.holds.filter((h) => h.expires_at !== null).map((h) => h.object_id);
    const onLog = new Set(events.map((e) => (e.payload as { objectId?: string }).objectId));
    for (const objectId of expiring) expect({ objectId, onLog: onLog.has(objectId) }).toEqual({ objectId, onLog: false });
    expect(holdsAtEnd).toEqual([]);
  });

  it('leaves the balance at credit − Σ charges on the log, with no hold left', () => {
    const charged = [...charges().values()].reduce((sum, [amount]) => sum + amount, 0);
    const expected = usdToMicros(CREDIT_USD) - charged;
    expect(balanceAfterSweep.micros).toBe(balanceAfterSweep.expected);
    expect(balanceAfterSweep.expected).toBe(expected);
    expect(finalBalanceMicros).toBe(expected);
    expect(balanceView && { available: Number(balanceView.available_micros), held: Number(balanceView.gateway_held_micros) }).toEqual({ available: expected, held: 0 });
  });

  it('passes ledger:check and dead-letters nothing', () => {
    expect(ledgerExit).toBe(0);
    expect(deadLettered).toBe(0);
  });
});
