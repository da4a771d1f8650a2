import { randomUUID } from 'node:crypto';
import {
  ObjectAbandoned,
  ObjectCompleted,
  ObjectFailed,
  ObjectSubmitted,
  Topics,
  TopicSpecs,
  WalletTopUpRequested,
  createEvent,
  type EventOf,
  type Pricing,
} from '@sluice/events';
import { partitionFor } from '@sluice/eventlog';
import type { ServiceDatabaseOptions } from '@sluice/persistence';
import type { ServiceDefinition } from '@sluice/platform';
import { startServiceHarness, type ServiceHarness } from '@sluice/testing';
import { runLedgerCheck } from './ledger/ledger-check.cli';
import type { LedgerReport } from './ledger/ledger-check';
import { billingService } from './service';

jest.setTimeout(60_000);

const GPT_4O = { inputMicrosPerMillion: 2_500_000, outputMicrosPerMillion: 10_000_000 };
const sla = (priceFactor: number): Pricing => ({ kind: 'sla', basePrice: GPT_4O, priceFactor });
const ctx = () => ({ correlationId: randomUUID() });
const objectPartitions = TopicSpecs.find((t) => t.name === Topics.objects)?.partitions ?? 1;

function submitted(accountId: string, options: { inputTokens?: number; maxOutputTokens?: number; pricing?: Pricing; objectId?: string } = {}) {
  return createEvent(
    ObjectSubmitted,
    {
      objectId: options.objectId ?? randomUUID(),
      taskId: randomUUID(),
      accountId,
      index: 0,
      model: 'openai:gpt-4o',
      input: { text: 'Hello model, how are you?' },
      inputTokens: options.inputTokens ?? 1000,
      maxOutputTokens: options.maxOutputTokens ?? 1000,
      slaMinutes: 60,
      deadlineAt: new Date(Date.now() + 3_600_000).toISOString(),
      pricing: options.pricing ?? sla(0.5),
    },
    ctx(),
  );
}

function completed(object: EventOf<'ObjectSubmitted'>, outputTokens: number, attempt = 1) {
  const { objectId, accountId, inputTokens } = object.payload;
  return createEvent(
    ObjectCompleted,
    { objectId, accountId, attempt, providerId: 'bargain', mode: 'live', inputTokens, outputTokens, output: { text: 'fine' }, providerCostMicros: 100, latencyMs: 5 },
    ctx(),
  );
}

const topUp = (accountId: string, amountMicros: number, reference: string = randomUUID()) =>
  createEvent(WalletTopUpRequested, { accountId, amountMicros, reference }, ctx());

/** Billing plus the ledger check of its database, run once the service has closed it. */
function billingWithLedgerCheck(onChecked: (report: LedgerReport) => void): ServiceDefinition {
  return {
    name: 'billing',
    start: async (runtime) => {
      const running = await billingService.start(runtime);
      const database: ServiceDatabaseOptions = runtime.database;
      return {
        stop: async () => {
          await running.stop();
          onChecked(await runLedgerCheck(database));
        },
      };
    },
  };
}

describe('billing service', () => {
  let harness: ServiceHarness;
  let ledger: LedgerReport | undefined;

  beforeAll(async () => {
    harness = await startServiceHarness(billingWithLedgerCheck((report) => (ledger = report)), { market: false });
  });

  afterAll(async () => {
    await harness?.stop();
    expect(ledger?.discrepancies).toEqual([]);
    expect(ledger?.ok).toBe(true);
    const charged = harness.eventsOf('Charged').reduce((sum, e) => sum + e.payload.amountMicros, 0);
    expect(ledger?.totals).toMatchObject({ revenueMicros: charged, chargedMicros: charged });
  });

  const funded = async (amountMicros: number) => {
    const accountId = `acct-${randomUUID()}`;
    const request = topUp(accountId, amountMicros);
    await harness.bus.emit([request]);
    await harness.waitFor('WalletCredited', (e) => e.payload.reference === request.payload.reference);
    return accountId;
  };

  /** Resolves once billing has handled everything emitted before on `objectId`'s partition. */
  const drained = async (objectId: string) => {
    let probeId = randomUUID();
    while (partitionFor(probeId, objectPartitions) !== partitionFor(objectId, objectPartitions)) probeId = randomUUID();
    await harness.bus.emit([submitted(`unfunded-${randomUUID()}`, { objectId: probeId })]);
    await harness.waitFor('FundsDenied', (e) => e.payload.objectId === probeId);
  };

  it('credits a top-up once per reference, whatever is redelivered', async () => {
    const accountId = `acct-${randomUUID()}`;
    const first = topUp(accountId, 5_000_000, 'payment-1');
    await harness.bus.emit([first, first, topUp(accountId, 5_000_000, 'payment-1')]);
    const last = topUp(accountId, 2_000_000, 'payment-2');
    await harness.bus.emit([last]);
    const credited = await harness.waitFor('WalletCredited', (e) => e.payload.reference === 'payment-2');
    expect(credited.payload.availableMicros).toBe(7_000_000);
    expect(harness.eventsOf('WalletCredited').filter((e) => e.payload.accountId === accountId)).toHaveLength(2);
  });

  it('credits one reference to two accounts, each once: a reference is its account\'s own', async () => {
    const [a, b] = [`acct-${randomUUID()}`, `acct-${randomUUID()}`];
    await harness.bus.emit([topUp(a, 3_000_000, 'invoice-42'), topUp(b, 4_000_000, 'invoice-42'), topUp(b, 4_000_000, 'invoice-42')]);
    expect((await harness.waitFor('WalletCredited', (e) => e.payload.accountId === a)).payload).toMatchObject({ reference: 'invoice-42', availableMicros: 3_000_000 });
    expect((await harness.waitFor('WalletCredited', (e) => e.payload.accountId === b)).payload).toMatchObject({ reference: 'invoice-42', availableMicros: 4_000_000 });
    // b's repeat follows its first request on b's partition: once a later top-up of b is credited, it was handled.
    await harness.bus.emit([topUp(b, 1, 'probe')]);
    await harness.waitFor('WalletCredited', (e) => e.payload.accountId === b && e.payload.reference === 'probe');
    expect(harness.eventsOf('WalletCredited').filter((e) => e.payload.reference === 'invoice-42')).toHaveLength(2);
  });

  it('reserves what the wallet covers and denies the rest without touching the wallet', async () => {
    const accountId = await funded(10_000);
    const affordable = submitted(accountId);
    const tooDear = submitted(accountId, { inputTokens: 100_000, maxOutputTokens: 1000 });
    await harness.bus.emit([affordable]);
    const reserved = await harness.waitFor('FundsReserved', (e) => e.payload.objectId === affordable.payload.objectId);
    expect(reserved.payload).toMatchObject({ accountId, amountMicros: 6_250, availableMicros: 3_750 });
    await harness.bus.emit([tooDear]);
    const denied = await harness.waitFor('FundsDenied', (e) => e.payload.objectId === tooDear.payload.objectId);
    expect(denied.payload).toMatchObject({ accountId, requiredMicros: 130_000, availableMicros: 3_750 });
  });

  it('charges the quoted factor on actual tokens, returns the rest of the hold, and charges a retried completion once', async () => {
    const accountId = await funded(1_000_000);
    const object = submitted(accountId);
    await harness.bus.emit([object]);
    await harness.waitFor('FundsReserved', (e) => e.payload.objectId === object.payload.objectId);
    const done = completed(object, 200);
    await harness.bus.emit([done, done, completed(object, 900, 2)]);
    const charged = await harness.waitFor('Charged', (e) => e.payload.objectId === object.payload.objectId);
    // (1000 × $2.50 + 200 × $10) / 1M = 4,500 µ$, × 0.5 = 2,250 µ$ of a 6,250 µ$ hold.
    expect(charged.payload).toEqual({ accountId, objectId: object.payload.objectId, amountMicros: 2_250, reservedMicros: 6_250, availableMicros: 997_750 });
    await drained(object.payload.objectId);
    expect(harness.eventsOf('Charged').filter((e) => e.payload.objectId === object.payload.objectId)).toHaveLength(1);
  });

  it('releases the hold of an abandoned object, and a transient failure changes nothing', async () => {
    const accountId = await funded(100_000);
    const object = submitted(accountId);
    const { objectId } = object.payload;
    await harness.bus.emit([object]);
    await harness.waitFor('FundsReserved', (e) => e.payload.objectId === objectId);
    await harness.bus.emit([
      createEvent(ObjectFailed, { objectId, accountId, attempt: 1, transient: true, retryAfterMs: 1000, code: 'rate_limited', message: '429' }, ctx()),
      createEvent(ObjectAbandoned, { objectId, accountId, attempts: 3, code: 'all_providers_failed', message: 'gave up' }, ctx()),
    ]);
    const released = await harness.waitFor('FundsReleased', (e) => e.payload.objectId === objectId);
    expect(released.payload).toMatchObject({ amountMicros: 6_250, availableMicros: 100_000 });
    await harness.bus.emit([completed(object, 10, 4)]);
    await drained(objectId);
    expect(harness.eventsOf('Charged').filter((e) => e.payload.objectId === objectId)).toHaveLength(0);
  });

  it('never overdraws a wallet that 20 concurrent objects ask too much of', async () => {
    const credit = 100_000;
    const accountId = await funded(credit);
    const objects = Array.from({ length: 20 }, () => submitted(accountId));
    await harness.bus.emit(objects);
    const ids = new Set(objects.map((o) => o.payload.objectId));
    const decided = () =>
      harness.eventsOf('FundsReserved').filter((e) => ids.has(e.payload.objectId)).length +
      harness.eventsOf('FundsDenied').filter((e) => ids.has(e.payload.objectId)).length;
    await waitUntil(() => decided() === 20);
    const reserved = harness.eventsOf('FundsReserved').filter((e) => ids.has(e.payload.objectId));
    expect(reserved).toHaveLength(Math.floor(credit / 6_250));
    expect(Math.min(...reserved.map((e) => e.payload.availableMicros))).toBeGreaterThanOrEqual(0);

    await harness.bus.emit(objects.filter((o) => reserved.some((r) => r.payload.objectId === o.payload.objectId)).map((o) => completed(o, 300)));
    await waitUntil(() => harness.eventsOf('Charged').filter((e) => ids.has(e.payload.objectId)).length === reserved.length);
    const charges = harness.eventsOf('Charged').filter((e) => ids.has(e.payload.objectId));
    const charged = charges.reduce((sum, e) => sum + e.payload.amountMicros, 0);
    // (1000 × $2.50 + 300 × $10) / 1M = 5,500 µ$, × 0.5 = 2,750 µ$ each.
    expect(charges.every((e) => e.payload.amountMicros === 2_750)).toBe(true);
    const lastAvailable = charges.map((e) => e.payload.availableMicros ?? -1).sort((a, b) => a - b).at(-1);
    expect(charged + (lastAvailable ?? 0)).toBe(credit);
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
