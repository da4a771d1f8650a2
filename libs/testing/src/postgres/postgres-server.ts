import { execFile, type ExecFileOptions } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { createDatabase } from './create-database';
import { onProcessExit, sleepSync } from '../exit-cleanup';
import { freePort } from '../free-port';
import { INITDB, PG_CTL, requireCommands } from '../prerequisites';

const execFileAsync = promisify(execFile);

export interface PostgresServer {
  /** Superuser URL of the `postgres` database, e.g. `postgresql://postgres@127.0.0.1:5433/postgres`. */
  url: string;
  /** `SELECT version()` of the running server. */
  version: string;
  /** Folder of the cluster (data, socket, log); removed by stop(). */
  dir: string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** uid/gid the server runs as: PostgreSQL refuses to run as root. */
interface RunAs {
  uid: number;
  gid: number;
}

/**
 * A throwaway PostgreSQL cluster: `initdb` into a temp folder, trust auth, a free TCP port on
 * 127.0.0.1 and the unix socket inside the folder. Durability is switched off: tests
 * throw the data away and want speed.
 */
export async function startPostgres(options: { startTimeoutSeconds?: number } = {}): Promise<PostgresServer> {
  const commands = requireCommands([INITDB, PG_CTL]);
  const initdb = commands.get(INITDB.command)!;
  const pgCtl = commands.get(PG_CTL.command)!;
  const runAs = unprivilegedUser();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-pg-'));
  if (runAs) chownSync(dir, runAs.uid, runAs.gid);
  const dataDir = join(dir, 'data');
  const port = await freePort();
  const asServerUser: ExecFileOptions = { cwd: dir, ...(runAs ?? {}), env: { ...process.env, LC_ALL: 'C' } };

  const unregister = onProcessExit(() => {
    killPostmaster(dataDir);
    // The postmaster and its backends need a moment to exit before their files can go.
    sleepSync(300);
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  });
  const cleanUp = () => {
    unregister();
    killPostmaster(dataDir);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await run(initdb, ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync'], asServerUser);
    const serverOptions = [
      `-p ${port}`,
      `-k ${dir}`,
      '-c listen_addresses=127.0.0.1',
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c max_connections=200',
    ].join(' ');
    const timeout = String(options.startTimeoutSeconds ?? 60);
    await run(pgCtl, ['start', '-w', '-t', timeout, '-D', dataDir, '-l', join(dir, 'server.log'), '-o', serverOptions], asServerUser);
  } catch (err) {
    const log = tail(join(dir, 'server.log'));
    cleanUp();
    throw new Error(`${(err as Error).message}\n${log}`.trim());
  }

  const url = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  let version: string;
  try {
    version = await query<{ version: string }>(url, 'SELECT version()').then((rows) => rows[0].version);
  } catch (err) {
    cleanUp();
    throw err;
  }

  return {
    url,
    version,
    dir,
    createDatabase: (name: string) => createDatabase(url, name),
    async stop() {
      unregister();
      await run(pgCtl, ['stop', '-w', '-m', 'fast', '-D', dataDir], asServerUser).catch(() => killPostmaster(dataDir));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** When running as root, the `nobody` user; otherwise null (run as ourselves). */
function unprivilegedUser(): RunAs | null {
  if (process.getuid?.() !== 0) return null;
  const passwd = readFileSync('/etc/passwd', 'utf8');
  const entry = passwd.split('\n').find((line) => line.startsWith('nobody:'));
  const [, , uid, gid] = entry?.split(':') ?? [];
  if (uid === undefined || gid === undefined) {
    throw new Error('Running as root, and PostgreSQL refuses root: no `nobody` user in /etc/passwd to run it as.');
  }
  return { uid: Number(uid), gid: Number(gid) };
}

async function run(command: string, args: string[], options: ExecFileOptions): Promise<void> {
  try {
    await execFileAsync(command, args, options);
  } catch (err) {
    const output = err as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args[0]} failed: ${output.stdout ?? ''}${output.stderr ?? ''}`.trim());
  }
}

async function query<Row>(url: string, sql: string): Promise<Row[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as Row[];
  } finally {
    await client.end();
  }
}

/** Immediate shutdown of the postmaster, synchronously (usable from an exit handler). */
function killPostmaster(dataDir: string): void {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!pid) return;
  try {
    process.kill(pid, 'SIGQUIT');
  } catch {
    // Already gone.
  }
}

function tail(file: string, chars = 3_000): string {
  if (!existsSync(file)) return '';
  const text = readFileSync(file, 'utf8');
  return text.length > chars ? `…${text.slice(-chars)}` : text;
}
