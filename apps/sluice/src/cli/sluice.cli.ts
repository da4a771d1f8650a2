import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { AdminClient, ApiError } from './admin-client';
import { checkCatalogue } from './catalogue-check';
import { resolveConnection } from './client-config';
import { addCustomerCommands } from './customer-commands';

/**
 * `sluice <command>` (or `npm run sluice -- <command>`): the customer's commands with their API key
 * (`login` saves it; SLUICE_URL / SLUICE_API_KEY override), and the operator's with the admin key
 * (SLUICE_ADMIN_KEY, or the one the embedded engine keeps in its data folder).
 */
function usd(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected an amount in USD, e.g. 10 or 2.50');
  return n;
}

function adminKeyFrom(options: { adminKey?: string; dataDir: string }): string {
  if (options.adminKey) return options.adminKey;
  const file = join(resolve(options.dataDir), 'admin-key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  throw new ApiError(0, 'admin_key_missing', `no admin key: set SLUICE_ADMIN_KEY or start Sluice once so that ${file} exists`);
}

export function buildCli(
  out: (line: string) => void = console.log,
  env: Record<string, string | undefined> = process.env,
  note: (line: string) => void = console.error,
): Command {
  const program = new Command('sluice')
    .description('Use and operate a running Sluice')
    .option('--url <url>', 'Sluice API base URL (default: SLUICE_URL, the saved login, or http://127.0.0.1:$PORT|8080)')
    .option('--api-key <key>', 'your API key (default: SLUICE_API_KEY or the saved login)')
    .option('--json', 'print the API answer as JSON, for scripts')
    .option('--no-progress', 'no progress bars (they show on a terminal only)')
    .option('--admin-key <key>', 'operator admin key', env.SLUICE_ADMIN_KEY)
    .option('--data-dir <dir>', 'embedded data folder holding the generated admin key', env.SLUICE_DATA_DIR ?? '.sluice');
  const client = () => {
    const options = program.opts<{ url?: string; adminKey?: string; dataDir: string }>();
    return new AdminClient(resolveConnection({ url: options.url }, env).url, adminKeyFrom(options));
  };
  addCustomerCommands(program, { out, note }, env);

  const accounts = program.command('accounts').description('customer accounts');
  accounts
    .command('create')
    .description('create an account, issue its first API key (shown once) and credit its wallet')
    .requiredOption('--name <name>', 'account name')
    .option('--credit <usd>', 'initial wallet credit in USD', usd, 0)
    .action(async (opts: { name: string; credit: number }) => {
      out(JSON.stringify(await client().createAccount(opts.name, opts.credit), null, 2));
    });
  accounts
    .command('credit')
    .description("credit an account's wallet")
    .argument('<account-id>')
    .argument('<usd>', 'amount in USD', usd)
    .option('--reference <ref>', 'idempotency reference for this credit')
    .action(async (accountId: string, amount: number, opts: { reference?: string }) => {
      out(JSON.stringify(await client().creditAccount(accountId, amount, opts.reference), null, 2));
    });

  const catalogue = program.command('catalogue').description('provider catalogues (no running Sluice needed)');
  catalogue
    .command('check')
    .description('validate a catalogue file: what is wrong, or what it offers and which provider keys are set')
    .argument('<file>')
    .action((file: string) => {
      const report = checkCatalogue(file, env);
      for (const line of report.lines) out(line);
      if (!report.ok) process.exitCode = 1;
    });
  return program;
}

/** Runs the CLI on `argv` (the `sluice` bin and `npm run sluice` both land here). */
export function runCli(argv: string[] = process.argv): Promise<void> {
  return buildCli()
    .parseAsync(argv)
    .then(
      () => undefined,
      (err: Error) => {
        console.error(err instanceof ApiError ? `error (${err.code}): ${err.message}` : err.message);
        process.exit(1);
      },
    );
}

if (require.main === module) void runCli();
