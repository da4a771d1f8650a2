import { Inject, Injectable } from '@nestjs/common';
import { findProvider, providerBatchPrice, type ProviderSpec } from '@sluice/catalogue';
import { promptOf, timeOrderedId, type SluiceEvent } from '@sluice/events';
import type { RawSqlClient } from '@sluice/persistence';
import { BackgroundWorker, EventStore, SQL, SERVICE_RUNTIME, type ServiceRuntime } from '@sluice/platform';
import { ProviderAdapters, type BatchItemResult, type ProviderError } from '@sluice/providers';
import { countedUsage } from '@sluice/routing';
import { batchJobTraceparent, inSpan, objectTraceparent, recordSpans } from '@sluice/telemetry';
import { mapBounded } from '../execution/bounded';
import { recordHandled, type HandledAttempt } from '../execution/handled-dispatch.repository';
import { ROUTER_OPTIONS, type RouterOptions } from '../router.options';
import { completeBatchJob, dueBatchJobs, nextPollAt, reschedulePolls } from './batch-job.repository';
import { batchCustomId, batchOutcomeEvents, type BatchJob } from './batch-outcome';

/** With no open job, look again this often (simulated) in case another instance recorded one. */
const IDLE_POLL_MS = 300_000;
const DUE_JOBS_PER_ROUND = 50;

/** How often to ask about a job: a sixth of the provider's turnaround, within [min, 5 min] of simulated time. */
export function batchPollIntervalMs(provider: ProviderSpec, minMs: number): number {
  const turnaroundMs = (provider.batch?.turnaroundSeconds ?? 60) * 1000;
  return Math.min(300_000, Math.max(minMs, Math.round(turnaroundMs / 6)));
}

type PollResult = { job: BatchJob; finished: false } | { job: BatchJob; finished: true; status: string; results: BatchItemResult[] };

/**
 * Polls open provider batch jobs on the runtime clock until each finishes, then records the
 * job done and emits one ObjectCompleted / ObjectFailed per item in the same transaction.
 * Provider calls run outside transactions; a job another round already completed emits nothing.
 * Then the job is deleted at the provider (release).
 */
@Injectable()
export class ProviderBatchPoller extends BackgroundWorker {
  constructor(
    private readonly store: EventStore,
    private readonly adapter: ProviderAdapters,
    @Inject(SQL) private readonly db: RawSqlClient,
    @Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime,
    @Inject(ROUTER_OPTIONS) private readonly options: RouterOptions,
  ) {
    // Waits on the runtime clock: batch turnarounds are simulated time.
    super('ProviderBatchPoller', IDLE_POLL_MS, (ms) => runtime.clock.sleep(ms));
  }

  protected round(): Promise<void> {
    return this.pollDue();
  }

  /** Until the next job is due to be asked again (or a while, with none open). */
  protected override async nextWaitMs(): Promise<number> {
    const next = await nextPollAt(this.db);
    return Math.min(next ? Math.max(0, next.getTime() - this.runtime.clock.now().getTime()) : IDLE_POLL_MS, IDLE_POLL_MS);
  }

  private async pollDue(): Promise<void> {
    const due = await dueBatchJobs(this.db, this.runtime.clock.now(), DUE_JOBS_PER_ROUND);
    if (due.length === 0) return;
    const polled = await mapBounded(due, this.options.batchPollConcurrency, (job) => this.poll(job));
    const waiting = polled.filter((p) => !p.finished).map((p) => p.job);
    await reschedulePolls(
      this.db,
      waiting.map((j) => j.batchId),
      waiting.map((j) => new Date(this.runtime.clock.now().getTime() + this.intervalMs(j))),
    );
    const finished = polled.filter((p) => p.finished);
    for (const p of finished) await this.record(p.job, p.status, p.results);
    // Each release is a few round trips to the provider; one after another they held up the next round.
    await mapBounded(finished, this.options.batchPollConcurrency, (p) => this.release(p.job));
  }

  /**
   * Once the outcome is committed, the job's files and results go at the provider: they hold
   * every request and answer of the job, and would otherwise pile up there (and, in the demo
   * market, in memory) job after job. A failure only costs that storage, so it is logged, not retried.
   */
  private async release(job: BatchJob): Promise<void> {
    const endpoint = this.runtime.providerEndpoints[job.providerId];
    if (!endpoint) return;
    await this.adapter.deleteBatch({ id: job.providerId, ...endpoint }, job.providerBatchId).catch((err: unknown) => {
      this.logger.warn(`batch ${job.batchId} (${job.providerId} ${job.providerBatchId}) recorded; deleting it at the provider failed: ${(err as Error).message}`);
    });
  }

  private intervalMs(job: BatchJob): number {
    return batchPollIntervalMs(findProvider(this.runtime.catalogue, job.providerId), this.options.minBatchPollMs);
  }

  private async poll(job: BatchJob): Promise<PollResult> {
    const endpoint = this.runtime.providerEndpoints[job.providerId];
    if (!endpoint) return { job, finished: false };
    const provider = { id: job.providerId, ...endpoint };
    // Spans in the job's trace, under its submit span (see ProviderBatchConsumer.submit).
    const trace = batchJobTraceparent(job.batchId);
    const attributes = { 'gen_ai.system': job.providerId, 'sluice.batch.id': job.batchId, 'sluice.provider_batch.id': job.providerBatchId };
    try {
      const progress = await inSpan(`provider batch poll ${job.providerId}`, trace, attributes, async (span) => {
        const polled = await this.adapter.pollBatch(provider, job.providerBatchId);
        span?.setAttributes({ 'sluice.provider_batch.status': polled.status, 'sluice.provider_batch.finished': polled.finished });
        return polled;
      });
      if (!progress.finished) return { job, finished: false };
      const results = await inSpan(
        `provider batch results ${job.providerId}`,
        trace,
        { ...attributes, 'sluice.batch.items': job.items.length },
        async (span) => {
          const fetched = await this.adapter.fetchBatchResults(provider, job.providerBatchId);
          const byCustomId = new Map(fetched.map((r) => [r.customId, r]));
          // Each item's trace shows what came back for it, linked to this span.
          if (span) recordSpans(
            'provider batch result',
            job.items.map((item) => {
              const result = byCustomId.get(batchCustomId(item));
              return {
                traceparent: objectTraceparent(item.objectId),
                attributes: { ...attributes, 'sluice.object.id': item.objectId, 'sluice.provider_batch.item': !result ? 'not_run' : result.ok ? 'ok' : result.error.code },
              };
            }),
            span,
          );
          return fetched;
        },
        { links: job.items.map((item) => objectTraceparent(item.objectId)) },
      );
      return { job, finished: true, status: progress.status, results };
    } catch (err) {
      this.logger.warn(`batch ${job.batchId} (${job.providerId} ${job.providerBatchId}): ${(err as ProviderError).message}; will poll again`);
      return { job, finished: false };
    }
  }

  /** Items whose usage the provider did not report are billed on Sluice's own count, and the operator is told. */
  private withUsage(job: BatchJob, results: BatchItemResult[]): BatchItemResult[] {
    const items = new Map(job.items.map((item) => [batchCustomId(item), item]));
    const unreported = results.filter((r) => r.ok && r.usageUnreported).length;
    if (unreported > 0) this.logger.warn(`batch ${job.batchId} (${job.providerId} ${job.providerBatchId}): ${unreported} results carried no token usage; billed on Sluice's own count`);
    return results.map((r) => {
      const item = items.get(r.customId);
      return r.ok && r.usageUnreported && item ? { ...r, ...countedUsage(this.runtime.catalogue, job.model, promptOf(item.work.input) ?? '', r.text) } : r;
    });
  }

  private async record(job: BatchJob, status: string, results: BatchItemResult[]): Promise<void> {
    const provider = findProvider(this.runtime.catalogue, job.providerId);
    const price = providerBatchPrice(provider, job.model) ?? { inputMicrosPerMillion: 0, outputMicrosPerMillion: 0 };
    const deps = { now: () => this.runtime.clock.now(), newId: timeOrderedId };
    await this.store.transact(async (tx) => {
      const done = await completeBatchJob(tx, job.batchId, status, this.runtime.clock.now());
      if (!done) return { result: undefined, events: [] };
      const events = batchOutcomeEvents(job, price, this.withUsage(job, results), deps);
      await recordHandled(tx, events.flatMap(handledAttempt));
      return { result: undefined, events };
    });
  }
}

/** A batch item's outcome as the live path records its attempts (handled_dispatch). */
function handledAttempt(event: SluiceEvent): HandledAttempt[] {
  if (event.type !== 'ObjectCompleted' && event.type !== 'ObjectFailed') return [];
  const { objectId, attempt, providerId } = event.payload;
  return [{ objectId, attempt, providerId: providerId ?? null, outcome: event.type === 'ObjectCompleted' ? 'completed' : 'failed' }];
}
