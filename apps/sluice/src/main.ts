import { configureLogging, logFormatFrom, logger, startTelemetry } from '@sluice/telemetry';
import { loadEmbeddedConfig } from './config';
import { startEmbedded } from './embedded-host';

const log = logger('launcher', 'sluice');

async function main(): Promise<void> {
  const config = loadEmbeddedConfig();
  const env = config as Record<string, string | undefined>;
  configureLogging({ level: env.LOG_LEVEL, format: logFormatFrom(env) });
  // One trace per object across the five services when OTEL_EXPORTER_OTLP_ENDPOINT is set.
  const telemetry = startTelemetry({ serviceName: 'sluice' });
  const sluice = await startEmbedded(config);
  log.info({ url: sluice.url, dataDir: config.SLUICE_DATA_DIR, health: `${sluice.url}/healthz`, metrics: `${sluice.url}/metrics` }, `Sluice (embedded) listening on ${sluice.url} (data in ${config.SLUICE_DATA_DIR})`);
  let stopping = false;
  const stopAndExit = (code: number) => {
    if (stopping) return;
    stopping = true;
    sluice
      .stop()
      .then(() => telemetry?.shutdown())
      .then(
        () => process.exit(code),
        (err: Error) => {
          log.error({ err }, 'stop failed');
          process.exit(1);
        },
      );
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stopAndExit(0));
  // Half a Sluice is worse than none: exit so that a supervisor starts it again.
  void sluice.lost.then((reason) => {
    log.error({ reason: reason.message }, 'stopping: a part of Sluice ended on its own');
    stopAndExit(1);
  });
}

if (require.main === module) {
  main().catch((err: Error) => {
    // On stderr as it always was (supervisors and scripts read it), and as a log line.
    console.error(err.message);
    try {
      log.fatal({ error: err.message }, 'refused to start');
    } catch {
      // The logger itself was misconfigured (LOG_LEVEL): stderr says so already.
    }
    process.exit(1);
  });
}
