import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import { createEventLog, type EventLogConfig } from '@sluice/eventlog';
import { openServiceDatabase, type ServiceDatabaseOptions } from '@sluice/persistence';
import { PrismaClient } from '../generated/prisma/client';
import { rebuildReadModels, type RebuildProgress } from './rebuild';

const USAGE = `Usage: npm run rebuild -- [--data-dir <dir>]

Replays the log from its beginning into fresh read models (task, object, balance) and says
whether they equal the API's live ones; exit 1 if not.
  --data-dir <dir>   embedded engine: the log and the api database under <dir> (default ./.sluice,
                     or SLUICE_DATA_DIR). Stop Sluice first: the running process locks the log.
  KAFKA_BROKERS and DATABASE_URL (the api's PostgreSQL) select the distributed engine instead.`;

function targets(argv: string[], env: NodeJS.ProcessEnv): { log: EventLogConfig; database: ServiceDatabaseOptions } {
  const { values } = parseArgs({ args: argv, options: { 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (!values['data-dir'] && env.KAFKA_BROKERS && env.DATABASE_URL) {
    return {
      log: { kind: 'kafka', brokers: env.KAFKA_BROKERS.split(',').map((b) => b.trim()), clientId: 'sluice-api-rebuild' },
      database: { service: 'api', mode: 'postgres', url: env.DATABASE_URL },
    };
  }
  const dataDir = resolve(values['data-dir'] ?? env.SLUICE_DATA_DIR ?? '.sluice');
  return { log: { kind: 'embedded', dir: join(dataDir, 'log') }, database: { service: 'api', mode: 'embedded', dataDir } };
}

async function main(): Promise<number> {
  const { log: logConfig, database: databaseOptions } = targets(process.argv.slice(2), process.env);
  const log = await createEventLog(logConfig);
  const database = await openServiceDatabase(databaseOptions);
  const live = new PrismaClient({ adapter: database.adapter });
  try {
    const progress = progressReporter();
    const report = await rebuildReadModels({ log, live, onProgress: progress.update }).finally(progress.stop);
    console.log(JSON.stringify(report, null, 2));
    return report.equal ? 0 : 1;
  } finally {
    await live.$disconnect();
    await database.close();
    await log.close();
  }
}

const PROGRESS_LINE_MS = 30_000;

/** A bar on a terminal; elsewhere (CI, a bench's log) a line on stderr every 30 s. */
function progressReporter(): { update: (p: RebuildProgress) => void; stop: () => void } {
  if (process.stderr.isTTY) {
    const bar = new SingleBar({ format: 'Replaying |{bar}| {percentage}% | {value}/{total} records | ETA {eta_formatted}', stream: process.stderr, hideCursor: true, etaBuffer: 50 });
    let started = false;
    return {
      update: (p) => {
        if (!started) bar.start(p.recordsTotal, 0);
        started = true;
        bar.update(p.recordsRead);
      },
      stop: () => bar.stop(),
    };
  }
  let lastLineAt = performance.now();
  return {
    update: (p) => {
      if (performance.now() - lastLineAt < PROGRESS_LINE_MS) return;
      lastLineAt = performance.now();
      console.error(`rebuild: ${p.recordsRead} of ${p.recordsTotal} records read, ${p.eventsReplayed} events replayed`);
    },
    stop: () => undefined,
  };
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: Error) => {
      console.error(`rebuild: ${err.message}`);
      process.exit(2);
    },
  );
}
