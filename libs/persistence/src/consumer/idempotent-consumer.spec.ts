import type { SluiceEvent } from '@sluice/events';
import { counterValue, incrementCounter, openFixturePglite, walletCredited, type FixtureDatabase } from '../testing/fixture-database';
import { applyOnce } from './idempotent-consumer';
import { requireVmModulesForPglite } from '../testing/pglite-under-jest';

requireVmModulesForPglite();
jest.setTimeout(60_000);

describe('applyOnce (idempotent consumer) on PGlite', () => {
  let db: FixtureDatabase;
  beforeAll(async () => {
    db = await openFixturePglite();
  });
  afterAll(() => db.close());

  const creditEach = (counter: string) => (tx: Parameters<typeof incrementCounter>[0], events: SluiceEvent[]) =>
    Promise.all(events.map(() => incrementCounter(tx, counter)));

  it('applies the same event delivered twice only once', async () => {
    const event = walletCredited();
    const first = await applyOnce(db.prisma, 'billing.wallets', [event], creditEach('twice'));
    const second = await applyOnce(db.prisma, 'billing.wallets', [event], creditEach('twice'));

    expect(first.applied.map((e) => e.eventId)).toEqual([event.eventId]);
    expect(second.applied).toEqual([]);
    expect(second.skipped.map((e) => e.eventId)).toEqual([event.eventId]);
    expect(await counterValue(db.prisma, 'twice')).toBe(1);
  });

  it('applies only the new events of a batch mixing seen and new ones, in batch order', async () => {
    const [a, b, c] = [walletCredited(), walletCredited(), walletCredited()];
    await applyOnce(db.prisma, 'billing.wallets', [b], creditEach('mixed'));
    const seenOrder: string[] = [];

    const outcome = await applyOnce(db.prisma, 'billing.wallets', [a, b, c, a], async (tx, events) => {
      seenOrder.push(...events.map((e) => e.eventId));
      await creditEach('mixed')(tx, events);
    });

    expect(seenOrder).toEqual([a.eventId, c.eventId]);
    expect(outcome.skipped.map((e) => e.eventId)).toEqual([b.eventId, a.eventId]);
    expect(await counterValue(db.prisma, 'mixed')).toBe(3);
  });

  it('does not run the effect when every event was seen', async () => {
    const event = walletCredited();
    await applyOnce(db.prisma, 'billing.wallets', [event], creditEach('seen'));
    const effect = jest.fn(async () => 'ran');

    const outcome = await applyOnce(db.prisma, 'billing.wallets', [event], effect);

    expect(effect).not.toHaveBeenCalled();
    expect(outcome.result).toBeUndefined();
  });

  it('records nothing when the effect fails, so the redelivery applies it', async () => {
    const event = walletCredited();
    const failing = applyOnce(db.prisma, 'billing.wallets', [event], async (tx, events) => {
      await creditEach('retried')(tx, events);
      throw new Error('provider down');
    });
    await expect(failing).rejects.toThrow('provider down');
    expect(await counterValue(db.prisma, 'retried')).toBe(0);

    const retry = await applyOnce(db.prisma, 'billing.wallets', [event], creditEach('retried'));

    expect(retry.applied).toHaveLength(1);
    expect(await counterValue(db.prisma, 'retried')).toBe(1);
  });

  it('keeps consumers apart: one event is applied once by each consumer', async () => {
    const event = walletCredited();
    await applyOnce(db.prisma, 'billing.wallets', [event], creditEach('per-consumer'));
    await applyOnce(db.prisma, 'api.task-view', [event], creditEach('per-consumer'));
    await applyOnce(db.prisma, 'api.task-view', [event], creditEach('per-consumer'));

    expect(await counterValue(db.prisma, 'per-consumer')).toBe(2);
  });
});
