import { createTestDatabase } from '../testing/test-database';
import type { SluiceEvent } from '@sluice/events';
import { counterValue, incrementCounter, openFixturePostgres, walletCredited, type FixtureDatabase } from '../testing/fixture-database';
import { applyOnce } from './idempotent-consumer';

jest.setTimeout(60_000);

describe('applyOnce (idempotent consumer) on real PostgreSQL', () => {
  let db: FixtureDatabase;
  beforeAll(async () => {
    db = await openFixturePostgres(await createTestDatabase('consumer'));
  });
  afterAll(() => db.close());

  const credit = (counter: string) => (tx: Parameters<typeof incrementCounter>[0], events: SluiceEvent[]) =>
    incrementCounter(tx, counter, events.length);

  it('applies the same event delivered twice only once', async () => {
    const event = walletCredited();
    await applyOnce(db.prisma, 'billing.wallets', [event], credit('twice'));
    await applyOnce(db.prisma, 'billing.wallets', [event], credit('twice'));

    expect(await counterValue(db.prisma, 'twice')).toBe(1);
  });

  it('applies a batch mixing seen and new events for the new ones only', async () => {
    const [a, b, c] = [walletCredited(), walletCredited(), walletCredited()];
    await applyOnce(db.prisma, 'billing.wallets', [b], credit('mixed'));

    const outcome = await applyOnce(db.prisma, 'billing.wallets', [a, b, c], credit('mixed'));

    expect(outcome.applied.map((e) => e.eventId)).toEqual([a.eventId, c.eventId]);
    expect(await counterValue(db.prisma, 'mixed')).toBe(3);
  });

  it('applies an event once when two consumer instances receive it at the same time', async () => {
    const event = walletCredited();
    await db.prisma.counter.create({ data: { name: 'raced', value: 0 } });

    const outcomes = await Promise.all(
      Array.from({ length: 4 }, () =>
        applyOnce(db.prisma, 'billing.wallets', [event], async (tx, events) => {
          await new Promise((resolve) => setTimeout(resolve, 100));
          await credit('raced')(tx, events);
        }),
      ),
    );

    expect(outcomes.filter((o) => o.applied.length === 1)).toHaveLength(1);
    expect(await counterValue(db.prisma, 'raced')).toBe(1);
  });
});
