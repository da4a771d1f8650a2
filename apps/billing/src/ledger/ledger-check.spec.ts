import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCatalogue } from '@sluice/catalogue';
import { ObjectCompleted, ObjectSubmitted, WalletTopUpRequested, createEvent, systemDeps, type SluiceEvent } from '@sluice/events';
import { openServiceDatabase, type ServiceDatabase, type TransactionalClient } from '@sluice/persistence';
import { billObjectEvents } from '../objects/object-billing.handler';
import { creditTopUps } from '../wallet/top-up.handler';
import type { BillingDeps } from './billing-deps';
import { checkLedger } from './ledger-check';

jest.setTimeout(60_000);

const deps: BillingDeps = { ...systemDeps, catalogue: loadCatalogue(), warn: () => undefined };
const ctx = { correlationId: 'test' };
const basePrice = { inputMicrosPerMillion: 2_500_000, outputMicrosPerMillion: 10_000_000 };

function object(accountId: string): SluiceEvent[] {
  const objectId = randomUUID();
  return [
    createEvent(
      ObjectSubmitted,
      {
        objectId,
        taskId: randomUUID(),
        accountId,
        index: 0,
        model: 'openai:gpt-4o',
        input: { text: 'hi' },
        inputTokens: 1000,
        maxOutputTokens: 1000,
        slaMinutes: null,
        deadlineAt: '2026-11-23T11:00:00.000Z',
        pricing: { kind: 'sla', basePrice, priceFactor: 1 },
      },
      ctx,
    ),
    createEvent(
      ObjectCompleted,
      { objectId, accountId, attempt: 1, providerId: 'swift', mode: 'live', inputTokens: 1000, outputTokens: 10, output: { text: 'ok' }, providerCostMicros: 50, latencyMs: 1 },
      ctx,
    ),
  ];
}

describe('ledger check', () => {
  let dir: string;
  let database: ServiceDatabase;
  let sql: TransactionalClient;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-ledger-check-'));
    database = await openServiceDatabase({ service: 'billing', mode: 'embedded', dataDir: dir });
    sql = database.sql;
    await sql.$transaction((tx) =>
      creditTopUps(tx, [createEvent(WalletTopUpRequested, { accountId: 'a1', amountMicros: 20_000, reference: 'r1' }, ctx)], deps),
    );
    // Two objects charged, one still held, one denied.
    await sql.$transaction((tx) => billObjectEvents(tx, [...object('a1'), ...object('a1'), object('a1')[0], object('a1')[0]], deps));
  });

  afterAll(async () => {
    await database?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds the books of real billing balanced, with their totals', async () => {
    const report = await checkLedger(sql);
    expect(report.discrepancies).toEqual([]);
    // A top-up, three holds of 12,500 µ$, two charges of 1,000 × $2.50 + 10 × $10 per 1M = 2,600 µ$.
    expect(report.totals).toEqual({
      transactions: 6,
      wallets: 1,
      fundingMicros: 20_000,
      availableMicros: 20_000 - 2 * 2_600 - 12_500,
      heldMicros: 12_500,
      revenueMicros: 5_200,
      chargedMicros: 5_200,
    });
  });

  it.each([
    { name: 'a wallet that disagrees with its ledger account', tamper: `UPDATE wallet SET available_micros = available_micros + 1`, finds: /available 2301 but its ledger account says 2300/ },
    {
      name: 'an unbalanced transaction',
      tamper: `INSERT INTO ledger_entry (transaction_id, account, debit_micros, credit_micros) SELECT id, 'revenue', 0, 7 FROM ledger_transaction WHERE kind = 'charge' LIMIT 1`,
      finds: /debits \d+ ≠ credits \d+/,
    },
    { name: 'a hold no open reservation explains', tamper: `UPDATE reservation SET status = 'released' WHERE status = 'open'`, finds: /open reservations hold 0/ },
    { name: 'revenue that no charge explains', tamper: `DELETE FROM charge WHERE ctid IN (SELECT ctid FROM charge LIMIT 1)`, finds: /revenue 5200 ≠ sum of charges 2600/ },
  ])('reports $name', async ({ tamper, finds }) => {
    await expect(
      sql.$transaction(async (tx) => {
        await tx.$executeRaw(Object.assign([tamper], { raw: [tamper] }));
        const report = await checkLedger(tx);
        expect(report.ok).toBe(false);
        expect(report.discrepancies.join('\n')).toMatch(finds);
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
  });
});
