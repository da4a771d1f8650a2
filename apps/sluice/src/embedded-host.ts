import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { TopicSpecs } from '@sluice/events';
import { EventBus, createEventLog, type EventLog } from '@sluice/eventlog';
import type { RunningService } from '@sluice/platform';
import type { EmbeddedConfig } from './config';
import { SERVICE_ORDER, loadService } from './services';

export interface EmbeddedSluice {
  url: string;
  log: EventLog;
  stop(): Promise<void>;
}

/** All five services in one process on the embedded log and embedded databases in `dataDir`. */
export async function startEmbedded(config: EmbeddedConfig): Promise<EmbeddedSluice> {
  mkdirSync(config.SLUICE_DATA_DIR, { recursive: true });
  const log = await createEventLog({ kind: 'embedded', dir: join(config.SLUICE_DATA_DIR, 'log') });
  await log.ensureTopics(TopicSpecs);
  const bus = new EventBus(log);
  const running: RunningService[] = [];
  const stop = async () => {
    for (const service of running.reverse()) await service.stop();
    await log.close();
  };
  try {
    for (const name of SERVICE_ORDER) {
      running.push(
        await loadService(name).start({
          service: name,
          instanceId: `${name}-${randomUUID().slice(0, 8)}`,
          startedAt: new Date(),
          bus,
          heartbeatIntervalMs: config.HEARTBEAT_INTERVAL_MS,
          database: { service: name, mode: 'embedded', dataDir: config.SLUICE_DATA_DIR },
          http: name === 'api' ? { host: config.HOST, port: config.PORT } : undefined,
        }),
      );
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: running[0].url ?? '', log, stop };
}
