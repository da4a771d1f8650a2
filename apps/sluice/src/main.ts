import { startTelemetry } from '@sluice/telemetry';
import { loadEmbeddedConfig } from './config';
import { startEmbedded } from './embedded-host';

async function main(): Promise<void> {
  const config = loadEmbeddedConfig();
  // One trace per object across the five services when OTEL_EXPORTER_OTLP_ENDPOINT is set.
  const telemetry = startTelemetry({ serviceName: 'sluice' });
  const sluice = await startEmbedded(config);
  console.log(`Sluice (embedded) listening on ${sluice.url} — data in ${config.SLUICE_DATA_DIR}`);
  console.log(`  health: curl ${sluice.url}/healthz`);
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
          console.error(`stop failed: ${err.message}`);
          process.exit(1);
        },
      );
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stopAndExit(0));
  // Half a Sluice is worse than none: exit so that a supervisor starts it again.
  void sluice.lost.then((reason) => {
    console.error(`[sluice] stopping: ${reason.message}`);
    stopAndExit(1);
  });
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}
