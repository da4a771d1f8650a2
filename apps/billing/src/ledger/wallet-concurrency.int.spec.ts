import { randomUUID } from 'node:crypto';
import { loadCatalogue } from '@sluice/catalogue';
import { ObjectSubmitted, WalletTopUpRequested, createEvent, systemDeps, type SluiceEvent } from '@sluice/events';
import { openServiceDatabase, type ServiceDatabase } from '@sluice/persistence';
import { createTestDatabase } from '@sluice/testing';
import { PrismaClient } from '../generated/prisma/client';
import { billObjectEvents } from '../objects/object-billing.handler';
import { creditTopUps } from '../wallet/top-up.handler';
import type { BillingDeps } from './billing-deps';
import { BooksInconsistentError } from './billing-state';
import { saveBooks } from './books.repository';
import { checkLedger } from './ledger-check';

jest.setTimeout(120_000);

const deps: BillingDeps = { ...systemDeps, catalogue: loadCatalogue(), warn: () => undefined };
const ctx = { correlationId: 'test' };
const HOLD = 6_250; // 1,000 in + 1,000 out at gpt-4o base price, × 0.5

const submitted = (accountId: string): SluiceEvent =>
  createEvent(
    ObjectSubmitted,
    {
      objectId: randomUUID(),
      taskId: randomUUID(),
      accountId,
      index: 0,
      model: 'openai:gpt-4o',
      input: { text: 'hi' },
      inputTokens: 1000,
      maxOutputTokens: 1000,
      slaMinutes: 60,
      deadlineAt: '2026-11-23T11:00:00.000Z',
      pricing: { kind: 'sla', basePrice: { inputMicrosPerMillion: 2_500_000, outputMicrosPerMillion: 10_000_000 }, priceFactor: 0.5 },
    },
    ctx,
  );

describe('wallets under concurrent transactions on PostgreSQL', () => {
  let database: ServiceDatabase;
  let prisma: PrismaClient;

  beforeAll(async () => {
    const url = await createTestDatabase('billing_wallets');
    database = await openServiceDatabase({ service: 'billing', mode: 'postgres', url, migrate: true });
    prisma = new PrismaClient({ adapter: database.adapter });
  });

  afterAll(async () => {
    await prisma?.$disconnect();
    await database?.close();
  });

  const topUp = (accountId: string, amountMicros: number) =>
    prisma.$transaction((tx) => creditTopUps(tx, [createEvent(WalletTopUpRequested, { accountId, amountMicros, reference: randomUUID() }, ctx)], deps));

  it('reserves no more than the wallet holds when 20 partitions reserve on it at once', async () => {
    const accountId = `acct-${randomUUID()}`;
    await topUp(accountId, 10 * HOLD + HOLD / 2);
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () => prisma.$transaction((tx) => billObjectEvents(tx, [submitted(accountId)], deps), { timeout: 60_000, maxWait: 60_000 })),
    );
    const types = outcomes.flat().map((e) => e.type);
    expect(types.filter((t) => t === 'FundsReserved')).toHaveLength(10);
    expect(types.filter((t) => t === 'FundsDenied')).toHaveLength(10);
    const [wallet] = await prisma.$queryRaw<{ available: bigint; held: bigint }[]>`
      SELECT available_micros AS available, held_micros AS held FROM wallet WHERE account_id = ${accountId}`;
    expect({ available: Number(wallet.available), held: Number(wallet.held) }).toEqual({ available: HOLD / 2, held: 10 * HOLD });
    expect((await checkLedger(prisma)).discrepancies).toEqual([]);
  });

  it('refuses, and rolls back, a wallet update that would overdraw', async () => {
    const accountId = `acct-${randomUUID()}`;
    await topUp(accountId, 50);
    const stale = { accountId, availableMicros: 100, heldMicros: 0 };
    const overdraw = prisma.$transaction((tx) =>
      saveBooks(
        tx,
        { wallets: [{ accountId, before: stale, after: { ...stale, availableMicros: 0, heldMicros: 100 } }], postings: [], reservations: [], charges: [], topUps: [] },
        new Date(),
        randomUUID,
      ),
    );
    await expect(overdraw).rejects.toThrow(BooksInconsistentError);
    const [wallet] = await prisma.$queryRaw<{ available: bigint }[]>`SELECT available_micros AS available FROM wallet WHERE account_id = ${accountId}`;
    expect(Number(wallet.available)).toBe(50);
  });
});
