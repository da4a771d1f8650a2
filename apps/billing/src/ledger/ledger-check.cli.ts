import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { embeddedDatabaseLocation, openServiceDatabase, type ServiceDatabaseOptions } from '@sluice/persistence';
import { checkLedger, type LedgerReport } from './ledger-check';

const USAGE = `Usage: npm run ledger:check -- [--data-dir <dir>]

Proves billing's books balance; exits 1 and lists the discrepancies otherwise.
  --data-dir <dir>   the embedded database under <dir>/db (npm start uses .sluice);
                     stop Sluice first: an embedded database has one process at a time
  DATABASE_URL       billing's PostgreSQL database, when no --data-dir is given`;

const usd = (micros: number) => `$${(micros / 1_000_000).toFixed(6)}`;

/** Opens billing's database, checks the ledger and closes it again. */
export async function runLedgerCheck(database: ServiceDatabaseOptions): Promise<LedgerReport> {
  const db = await openServiceDatabase(database);
  try {
    return await checkLedger(db.sql);
  } finally {
    await db.close();
  }
}

function formatReport(report: LedgerReport): string {
  const t = report.totals;
  const summary = [
    `${t.transactions} ledger transactions, ${t.wallets} wallets`,
    `funding ${usd(t.fundingMicros)} = available ${usd(t.availableMicros)} + held ${usd(t.heldMicros)} + revenue ${usd(t.revenueMicros)}`,
  ];
  if (report.ok) return [...summary, 'ledger balances'].join('\n');
  return [...summary, `${report.discrepancies.length} discrepancies:`, ...report.discrepancies.map((d) => `  - ${d}`)].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const dataDir = values['data-dir'];
  const url = process.env.DATABASE_URL;
  if (!dataDir && !url) {
    console.error(`no database: pass --data-dir or set DATABASE_URL\n\n${USAGE}`);
    return 2;
  }
  if (dataDir && !existsSync(embeddedDatabaseLocation(dataDir, 'billing').dir)) {
    console.error(`no billing database at ${embeddedDatabaseLocation(dataDir, 'billing').dir}`);
    return 2;
  }
  const report = await runLedgerCheck(
    dataDir ? { service: 'billing', mode: 'embedded', dataDir } : { service: 'billing', mode: 'postgres', url: url as string },
  );
  console.log(formatReport(report));
  return report.ok ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: Error) => {
      console.error(`ledger check failed: ${err.message}`);
      process.exit(2);
    },
  );
}
