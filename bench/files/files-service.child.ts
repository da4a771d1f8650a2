/**
 * The files service alone in this process (as one Deployment of the distributed engine runs it),
 * on its PostgreSQL database (URL on the command line) and an embedded log in a temp folder: stores the JSONL file given on the command
 * line, submits a task over it and waits until every line is an ObjectSubmitted/ObjectRejected on
 * the log. Prints one JSON line: expansion time and rate, and this process's peak RSS.
 * The bench runs its compiled form (dist/) with the node flags of `npm run start:files`.
 */
import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBlobStore } from '@sluice/blobstore';
import { loadCatalogue } from '@sluice/catalogue';
import { createEvent, declareConsumer, FileStored, TaskSubmitted, Topics, TopicSpecs, type EventOf } from '@sluice/events';
import { EventBus, createEventLog } from '@sluice/eventlog';
import { createClock } from '@sluice/platform';
import { filesService } from '../../apps/files/src/service';

/**
 * VmHWM of this process: its peak resident set since exec, in MB. Not getrusage's maxRSS, which
 * also counts the bench process this one was forked from (its pages before the exec).
 */
function peakRssMb(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Math.round(Number(match[1]) / 1024) : NaN;
}

async function main(): Promise<void> {
  const [file, linesArg, databaseUrl] = process.argv.slice(2);
  const lines = Number(linesArg);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-files-'));
  const log = await createEventLog({ kind: 'embedded', dir: join(dir, 'log') });
  await log.ensureTopics(TopicSpecs);
  const bus = new EventBus(log);
  const blobs = createBlobStore({ kind: 'fs', dir: join(dir, 'blobs') });
  const service = await filesService.start({
    service: 'files', instanceId: 'files-bench', startedAt: new Date(), bus, heartbeatIntervalMs: 60_000,
    database: { service: 'files', mode: 'postgres', url: databaseUrl, migrate: true }, clock: createClock({ scale: 1 }), catalogue: loadCatalogue(), providerEndpoints: {}, blobs,
  });
  const accountId = randomUUID();
  const fileId = randomUUID();
  const blobKey = `files/${accountId}/${fileId}`;
  const stored = await blobs.put(blobKey, createReadStream(file));
  const expanded = new Promise<EventOf<'FileExpanded'>>((resolve) => {
    void bus.subscribe({ consumer: declareConsumer({ name: 'bench-watch', handles: ['FileExpanded'] }), handle: async (events) => events.forEach(resolve) });
  });
  let peakHeapMb = 0;
  const sampler = setInterval(() => (peakHeapMb = Math.max(peakHeapMb, Math.round(process.memoryUsage().heapUsed / 1e6))), 200);
  const started = performance.now();
  await bus.publish(Topics.files, [createEvent(FileStored, { fileId, accountId, fileName: 'bench.jsonl', bytes: stored.bytes, mimeType: 'application/jsonl', sha256: stored.sha256, blobKey, items: lines, format: 'sluice' }, { correlationId: fileId })]);
  const taskId = randomUUID();
  await bus.publish(Topics.tasks, [createEvent(TaskSubmitted, { taskId, accountId, totalItems: lines, outputFormat: 'json', fileId, slaMinutes: 1440 }, { correlationId: taskId })]);
  const done = await expanded;
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  console.log(JSON.stringify({ submitted: done.payload.submitted, rejected: done.payload.rejected, expansionSeconds: +seconds.toFixed(1), linesPerSecond: Math.round(lines / seconds), filesServicePeakRssMb: peakRssMb(), peakHeapUsedMb: peakHeapMb }));
  await service.stop();
  await log.close();
  rmSync(dir, { recursive: true, force: true });
}

main().then(() => process.exit(0), (err) => (console.error(err), process.exit(1)));
