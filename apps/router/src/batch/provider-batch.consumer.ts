import { Inject, Injectable, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ModelNotFoundError, countPromptTokens, findModel, findProvider, offerFor, providerApi, resolveModel, providerBatchPrice, tokenCostMicros, type ProviderSpec, type TokenPrice } from '@sluice/catalogue';
import { ObjectFailed, QuoteAccepted, causedBy, createEvent, declareConsumer, promptOf, type EventOf, type SluiceEvent, timeOrderedId } from '@sluice/events';
import { EventBus, type Subscription } from '@sluice/eventlog';
import type { RawSqlClient } from '@sluice/persistence';
import { EventStore, SQL, SERVICE_RUNTIME, type ServiceRuntime } from '@sluice/platform';
import { ProviderAdapters, ProviderError, ProviderServerError, ProviderUnsupportedParamsError, unsupportedParams, type Prompt } from '@sluice/providers';
import { customerPriceMicros } from '@sluice/routing';
import { batchJobTraceparent, inSpan, objectTraceparent, recordSpans } from '@sluice/telemetry';
import { ROUTER_OPTIONS, type RouterOptions } from '../router.options';
import { insertBatchJobs, knownBatchIds, type NewBatchJob } from './batch-job.repository';
import { batchCustomId, type BatchDispatchItem } from './batch-outcome';
import { ProviderBatchPoller, batchPollIntervalMs } from './provider-batch.poller';

type BatchDispatched = EventOf<'BatchDispatched'>;

interface Submission {
  readonly job: NewBatchJob;
  readonly events: SluiceEvent[];
}

export const PROVIDER_BATCH_CONSUMER = declareConsumer({
  name: 'router.batch',
  handles: ['BatchDispatched'],
  description: "Submits each batch job to its provider's batch API and records it with a QuoteAccepted per item.",
});

class BatchUnavailableError extends Error {
  readonly code = 'provider_batch_unavailable';
}

/**
 * Submits each BatchDispatched as one job to the provider's batch API, outside any
 * transaction, then records the job with a QuoteAccepted per item in one transaction (only if
 * the job row was new). A job already recorded is never submitted again; a crash between
 * submission and record submits it again on redelivery, and billing still charges each
 * object once.
 */
@Injectable()
export class ProviderBatchConsumer implements OnModuleInit, BeforeApplicationShutdown {
  private subscription?: Subscription;

  constructor(
    private readonly bus: EventBus,
    private readonly store: EventStore,
    private readonly adapter: ProviderAdapters,
    private readonly poller: ProviderBatchPoller,
    @Inject(SQL) private readonly db: RawSqlClient,
    @Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime,
    @Inject(ROUTER_OPTIONS) private readonly options: RouterOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    this.subscription = await this.bus.subscribe({
      consumer: PROVIDER_BATCH_CONSUMER,
      fromBeginning: true,
      handle: (events) => this.handle(events),
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.subscription?.stop();
  }

  async handle(events: readonly SluiceEvent[]): Promise<void> {
    const byId = new Map<string, BatchDispatched>();
    for (const e of events) if (e.type === 'BatchDispatched' && !byId.has(e.payload.batchId)) byId.set(e.payload.batchId, e);
    if (byId.size === 0) return;
    const known = await knownBatchIds(this.db, [...byId.keys()]);
    const fresh = [...byId.values()].filter((e) => !known.has(e.payload.batchId));
    if (fresh.length === 0) return;
    const submissions = await Promise.all(fresh.map((e) => this.submit(e)));
    await this.store.transact(async (tx) => {
      const inserted = await insertBatchJobs(tx, submissions.map((s) => s.job));
      return { result: undefined, events: submissions.filter((s) => inserted.has(s.job.batchId)).flatMap((s) => s.events) };
    });
    this.poller.wake();
  }

  private deps() {
    return { now: () => this.runtime.clock.now(), newId: timeOrderedId };
  }

  private async submit(dispatched: BatchDispatched): Promise<Submission> {
    const { batchId, providerId, items } = dispatched.payload;
    const model = findModel(this.runtime.catalogue, dispatched.payload.model)?.id ?? dispatched.payload.model;
    const ctx = causedBy(dispatched);
    const now = this.runtime.clock.now();
    const byReference = items.filter((i) => promptOf(i.work.input) === null);
    // Parameters the provider's API lacks: refused by name, the rest of the batch still runs.
    const api = this.runtime.catalogue.providers.some((p) => p.id === providerId) ? providerApi(findProvider(this.runtime.catalogue, providerId)) : 'openai';
    const lacking = (i: BatchDispatchItem) => unsupportedParams(api, i.work.params);
    const runnable = items.filter((i) => promptOf(i.work.input) !== null && lacking(i).length === 0);
    const refused = [
      ...byReference.map((i) =>
        createEvent(
          ObjectFailed,
          { objectId: i.objectId, accountId: i.accountId, attempt: i.attempt, transient: false, code: 'input_by_reference_unsupported', message: 'the router cannot yet run an input stored by reference (blob)' },
          ctx,
          this.deps(),
        ),
      ),
      ...items
        .filter((i) => promptOf(i.work.input) !== null && lacking(i).length > 0)
        .map((i) => {
          const error = new ProviderUnsupportedParamsError(providerId, api, lacking(i));
          return createEvent(
            ObjectFailed,
            { objectId: i.objectId, accountId: i.accountId, attempt: i.attempt, providerId, transient: false, code: error.code, message: error.message },
            ctx,
            this.deps(),
          );
        }),
    ];
    const job = (providerBatchId: string, status: string, done: boolean, jobItems: readonly BatchDispatchItem[], provider?: ProviderSpec): NewBatchJob => ({
      batchId,
      providerId,
      providerBatchId,
      model,
      items: jobItems,
      context: ctx,
      submittedAt: now,
      nextPollAt: new Date(now.getTime() + (provider ? batchPollIntervalMs(provider, this.options.minBatchPollMs) : 0)),
      completedAt: done ? now : null,
      status,
    });
    if (runnable.length === 0) return { job: job('', 'nothing_to_run', true, []), events: refused };
    try {
      resolveModel(this.runtime.catalogue, model);
      const provider = findProvider(this.runtime.catalogue, providerId);
      const price = providerBatchPrice(provider, model);
      const endpoint = this.runtime.providerEndpoints[providerId];
      if (!price || !endpoint) throw new BatchUnavailableError(`${providerId} has no reachable batch API`);
      const providerModel = offerFor(provider, model).providerModel;
      // The job's own trace (derived from its batch id) starts here; polls and results join it,
      // and each item's trace gets a span saying it was sent, linked to this one.
      const providerBatchId = await inSpan(
        `provider batch submit ${providerId}`,
        batchJobTraceparent(batchId),
        { 'gen_ai.system': providerId, 'gen_ai.request.model': providerModel, 'sluice.batch.id': batchId, 'sluice.batch.items': runnable.length },
        async (span) => {
          const id = await this.adapter.submitBatch(
            { id: providerId, ...endpoint },
            runnable.map((i) => ({ customId: batchCustomId(i), providerModel, input: textOf(i), maxOutputTokens: i.work.maxOutputTokens, params: i.work.params })),
          );
          span?.setAttribute('sluice.provider_batch.id', id);
          if (span) recordSpans('provider batch sent', runnable.map((i) => ({ traceparent: objectTraceparent(i.objectId), attributes: { 'sluice.object.id': i.objectId, 'sluice.batch.id': batchId, 'sluice.provider_batch.id': id, 'gen_ai.system': providerId } })), span);
          return id;
        },
        { asRoot: true, links: runnable.map((i) => objectTraceparent(i.objectId)) },
      );
      const accepted = runnable.map((i) => this.quoteAccepted(dispatched, i, provider, providerModel, price));
      return { job: job(providerBatchId, 'submitted', false, runnable, provider), events: [...refused, ...accepted] };
    } catch (err) {
      const error = err instanceof ProviderError || err instanceof BatchUnavailableError || err instanceof ModelNotFoundError ? err : new ProviderServerError(providerId, String(err));
      // An unknown model fails wherever it runs; an unusable provider is worth a retry elsewhere.
      const transient = error instanceof ProviderError ? error.transient : !(err instanceof ModelNotFoundError);
      const failed = runnable.map((i) =>
        createEvent(
          ObjectFailed,
          { objectId: i.objectId, accountId: i.accountId, attempt: i.attempt, providerId, transient, code: error.code, message: error.message },
          ctx,
          this.deps(),
        ),
      );
      return { job: job('', 'submit_failed', true, runnable), events: [...refused, ...failed] };
    }
  }

  private quoteAccepted(dispatched: BatchDispatched, item: BatchDispatchItem, provider: ProviderSpec, providerModel: string, price: TokenPrice): SluiceEvent {
    const inputTokens = countPromptTokens(this.runtime.catalogue, dispatched.payload.model, textOf(item));
    const providerCost = tokenCostMicros(price, inputTokens, item.work.maxOutputTokens);
    return createEvent(
      QuoteAccepted,
      {
        objectId: item.objectId,
        accountId: item.accountId,
        attempt: item.attempt,
        providerId: provider.id,
        providerModel,
        mode: 'provider_batch',
        estimatedProviderCostMicros: providerCost,
        estimatedCustomerPriceMicros: customerPriceMicros(item.pricing, providerCost, inputTokens, item.work.maxOutputTokens),
        estimatedLatencyMs: (provider.batch?.turnaroundSeconds ?? 0) * 1000,
      },
      causedBy(dispatched),
      this.deps(),
    );
  }
}

function textOf(item: BatchDispatchItem): Prompt {
  return promptOf(item.work.input) ?? '';
}
