import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { timeOrderedId } from '@sluice/events';
import type { RawSqlClient, TransactionalClient } from '@sluice/persistence';
import { EventStore, SERVICE_RUNTIME, SQL, type ServiceRuntime } from '@sluice/platform';
import { LiveCaller, allFailedMessage, chooseRoute, paramsRefusal, quotesFor, refusedByEvery, type Quote, type TextSink } from '@sluice/routing';
import { toUsd } from '@sluice/pricing';
import { realtimeOverheadSeconds, traceparentOf } from '@sluice/telemetry';
import { IdempotencyKeyReusedError, InsufficientBalanceError, NotFoundError, RealtimeFailedError } from '../errors/api-error';
import { parseBody } from '../errors/parse-body';
import type { ObjectRow } from '../read-models/object.projection';
import { toObjectRow } from '../read-models/read-model.store';
import { Admissions, dropHolds, expireHolds, settleHold, spendableMicros } from './gateway-holds';
import { CHAT_ID_PREFIX } from '../openai/chat.view';
import { RealtimeRequestSchema } from './realtime-request';
import { inferenceRecord, inferenceResponse, type Answer, type InferenceResponse } from './realtime.view';
import { countRealtimeInput, DEFAULT_MARKUP_BPS, fromInferenceRequest, planRealtime, realtimeEvents, servedCharge, type GatewayRequest, type RealtimeOutcome, type RealtimePlan } from './submit-realtime.decider';

/** How long (real time) POST /v1/inference tries providers, and waits for a concurrent retry's answer. */
export const REALTIME_WAIT_MS = 60_000;
/** An Idempotency-Key is remembered for 24 hours (clock time) after its first use, per account. */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;
/** How often (real time) expired gateway holds are dropped. */
const HOLD_SWEEP_MS = 30_000;
/** Options a test may override (the service is otherwise configured by these defaults). */
export const REALTIME_OPTIONS = Symbol('REALTIME_OPTIONS');
export interface RealtimeOptions {
  markupBps: number;
  waitMs: number;
}

type ObjectRecord = Parameters<typeof toObjectRow>[0];

export interface InferenceResult<R> {
  response: R;
  /** True when the stored response of an earlier request with the same key is returned. */
  replay: boolean;
}

export interface ServeOptions<R> {
  /** The answer in the caller's API shape (also what the key's retries get). */
  render: (answer: Answer) => R;
  /** The Idempotency-Key and the hash of the request it was sent with. */
  idempotency?: { key: string; hash: string };
  /** Streams the provider's output as it arrives. */
  onText?: TextSink;
  /** The request's id, when the caller needs it before the answer (a stream's chunks carry it). */
  objectId?: string;
}

/** A route that cannot be taken: the customer's caps are 422, the market's state 503. */
function refusal(code: string, message: string): RealtimeFailedError {
  switch (code) {
    case 'price_cap_exceeded':
    case 'latency_cap_exceeded':
      return new RealtimeFailedError(422, code, message);
    case 'no_provider_available':
      return new RealtimeFailedError(503, code, message);
    default:
      return new RealtimeFailedError(503, 'all_providers_failed', `${code}: ${message}`);
  }
}

/** The same JSON body in any key order hashes the same. */
export function requestHash(body: unknown): string {
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canonical);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
    }
    return value;
  };
  return createHash('sha256').update(JSON.stringify(canonical(body))).digest('hex');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The real-time gateway: answers POST /v1/inference itself. Validate, count, quote from the
 * in-memory market view, hold funds (one statement shared by every API replica), call the
 * provider with failover, then record the request's events, the settled hold and the answer
 * in one transaction (group-committed) and answer. Billing charges, the read models project
 * and the router learns from those events afterwards, off the request's path.
 */
@Injectable()
export class RealtimeService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('RealtimeGateway');
  private readonly options: RealtimeOptions;
  private readonly admissions: Admissions;
  private sweeper?: NodeJS.Timeout;

  constructor(
    private readonly eventStore: EventStore,
    private readonly caller: LiveCaller,
    @Inject(SQL) private readonly sql: TransactionalClient,
    @Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime,
    @Inject(REALTIME_OPTIONS) options: Partial<RealtimeOptions> | null,
  ) {
    this.options = { markupBps: DEFAULT_MARKUP_BPS, waitMs: REALTIME_WAIT_MS, ...(options ?? {}) };
    this.admissions = new Admissions(sql, runtime.database.mode === 'embedded');
  }

  onModuleInit(): void {
    this.sweeper = setInterval(() => void this.expireHolds(), HOLD_SWEEP_MS).unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweeper);
  }

  /** Drops holds whose request never recorded an outcome (a process died mid-call); public for tests. */
  async expireHolds(): Promise<number> {
    try {
      const dropped = await expireHolds(this.sql);
      if (dropped > 0) this.logger.warn(`dropped ${dropped} expired gateway hold(s) of requests that never recorded an outcome`);
      return dropped;
    } catch (err) {
      this.logger.warn(`expiring gateway holds: ${(err as Error).message}`);
      return 0;
    }
  }

  /** POST /v1/inference. */
  infer(accountId: string, body: unknown, idempotencyKey?: string): Promise<InferenceResult<InferenceResponse>> {
    const request = fromInferenceRequest(parseBody(RealtimeRequestSchema, body));
    return this.serve(accountId, request, { render: inferenceResponse, ...(idempotencyKey !== undefined ? { idempotency: { key: idempotencyKey, hash: requestHash(body) } } : {}) });
  }

  /**
   * One real-time request from any API: plan, quote, hold, call (streamed with `onText`),
   * record, answer. `render` shapes the answer for the caller's API; its result is what an
   * Idempotency-Key replays, so the hash should tell the APIs apart.
   */
  async serve<R>(accountId: string, request: GatewayRequest, options: ServeOptions<R>): Promise<InferenceResult<R>> {
    const started = performance.now();
    const { idempotency, render } = options;
    const deadline = Date.now() + this.options.waitMs;
    const newId = () => options.objectId ?? timeOrderedId();
    const inputTokens = await countRealtimeInput(request, this.runtime.catalogue);
    const plan = planRealtime(request, { catalogue: this.runtime.catalogue, accountId, markupBps: this.options.markupBps, newId, inputTokens });
    const ranked = this.accepting(this.route(plan), plan);
    for (;;) {
      if (idempotency) {
        const stored = await this.storedResponse<R>(accountId, idempotency.key, idempotency.hash, deadline);
        if (stored) return { response: stored, replay: true };
      }
      const now = this.runtime.clock.now();
      const admission = await this.admissions.admit({
        accountId,
        objectId: plan.objectId,
        amountMicros: plan.reservationMicros,
        ...(idempotency ? { idempotency: { key: idempotency.key, requestHash: idempotency.hash, now, expiresAt: new Date(now.getTime() + IDEMPOTENCY_KEY_TTL_MS) } } : {}),
      });
      if (admission.kind === 'held') break;
      if (admission.kind === 'insufficient') {
        throw new InsufficientBalanceError(
          `the wallet holds $${toUsd(Math.max(0, admission.spendableMicros))}, this request may cost up to $${toUsd(plan.reservationMicros)}; add funds, lower ${request.maxOutputTokensField} or set max_price_usd`,
        );
      }
      // key_taken: a request with the same key is running or just finished; its answer is ours.
    }
    const traceparent = traceparentOf();
    const call = { model: plan.modelId, input: plan.prompt, maxOutputTokens: plan.maxOutputTokens, params: plan.params, traceparent, objectId: plan.objectId };
    const { served, failures } = await this.caller.failover(ranked, call, deadline, options.onText);
    const outcome: RealtimeOutcome = served
      ? { kind: 'served', quote: served.quote, result: served.result }
      : failureOutcome(failures, ranked.length);
    const events = realtimeEvents(plan, outcome, { now: () => this.runtime.clock.now(), newId: timeOrderedId, traceparent });
    if (outcome.kind === 'failed') {
      await this.eventStore.transact(async (tx) => {
        await dropHolds(tx, [plan.objectId]);
        if (idempotency) await forgetKey(tx, accountId, idempotency.key, plan.objectId);
        return { result: null, events };
      });
      throw refusal(outcome.code, outcome.message);
    }
    const { chargeMicros } = servedCharge(plan, outcome.quote, outcome.result);
    const response = await this.eventStore.transact(async (tx) => {
      const spendable = (await settleHold(tx, plan.objectId, plan.reservationMicros, chargeMicros)) ?? (await spendableMicros(tx, accountId));
      const answer: Answer = {
        objectId: plan.objectId,
        model: request.model,
        text: outcome.result.text,
        inputTokens: outcome.result.inputTokens,
        outputTokens: outcome.result.outputTokens,
        chargedMicros: chargeMicros,
        balanceAfterMicros: Math.max(0, spendable),
        latencyMs: Math.round(performance.now() - started),
        providerLatencyMs: outcome.result.processingMs ?? outcome.result.latencyMs,
        estimatedLatencyMs: outcome.quote.estimatedLatencyMs,
        finishReason: outcome.result.finishReason,
      };
      await recordAnswer(tx, plan, inferenceResponse(answer), this.runtime.clock.now());
      const rendered = render(answer);
      if (idempotency) {
        await tx.$executeRaw`
          UPDATE idempotency_key SET response = ${JSON.stringify(rendered)}::jsonb
          WHERE account_id = ${accountId} AND key = ${idempotency.key} AND object_id = ${plan.objectId}`;
      }
      return { result: rendered, events };
    });
    realtimeOverheadSeconds.observe((performance.now() - started - (outcome.result.processingMs ?? outcome.result.latencyMs)) / 1_000);
    return { response, replay: false };
  }

  /**
   * The quotes whose provider's API takes the request's parameters; none: a 422 naming them,
   * before anything is held (a provider would refuse them anyway, and end the failover).
   */
  private accepting(ranked: readonly Quote[], plan: RealtimePlan): readonly Quote[] {
    const refused = refusedByEvery(this.runtime.catalogue, ranked, plan.params);
    if (refused) throw new RealtimeFailedError(422, 'unsupported_parameter', refused.message);
    return ranked.filter((quote) => paramsRefusal(this.runtime.catalogue, quote.providerId, plan.params) === null);
  }

  /** The acceptable quotes for the plan, best first, from this replica's view of the market. */
  private route(plan: RealtimePlan): readonly Quote[] {
    const now = this.runtime.clock.now();
    const health = this.caller.health;
    const request = {
      model: plan.modelId,
      inputTokens: plan.inputTokens,
      maxOutputTokens: plan.maxOutputTokens,
      expectedOutputTokens: health.expectedOutputTokens(plan.modelId, plan.maxOutputTokens),
      pricing: plan.pricing,
      routing: plan.routing,
      avoidProviders: [],
      escalated: false,
    };
    const quotes = quotesFor(request, {
      catalogue: this.runtime.catalogue,
      at: now,
      reachable: (id) => this.caller.reachable(id),
      health: (id, reliability) => health.healthOf(id, reliability, now),
    });
    const decision = chooseRoute(request, quotes);
    if (decision.kind === 'reject') throw refusal(decision.code, decision.message);
    return decision.ranked;
  }

  /** GET /v1/inference/{id}; a chat completion's id (`chatcmpl-…`) names the same request. */
  async record(accountId: string, id: string) {
    const objectId = id.startsWith(CHAT_ID_PREFIX) ? id.slice(CHAT_ID_PREFIX.length) : id;
    const [answered] = await this.sql.$queryRaw<{ account_id: string; response: InferenceResponse; customer_ref: string | null; metadata: string | null }[]>`
      SELECT account_id, response, customer_ref, metadata FROM inference_record WHERE object_id = ${objectId}`;
    if (answered) {
      if (answered.account_id !== accountId) throw new NotFoundError('inference', id);
      return { ...answered.response, customer_ref: answered.customer_ref, metadata: answered.metadata === null ? null : (JSON.parse(answered.metadata) as unknown) };
    }
    const row = await this.objectRow(objectId);
    if (!row || row.accountId !== accountId || row.submittedAt === null) throw new NotFoundError('inference', id);
    return inferenceRecord(row);
  }

  /**
   * The response stored under the key, waiting while its first request still runs; null when
   * the key is free (never used, expired, or its first request failed).
   */
  private async storedResponse<R>(accountId: string, key: string, hash: string, deadline: number): Promise<R | null> {
    for (let pause = 2; ; pause = Math.min(pause * 2, 50)) {
      const now = this.runtime.clock.now().toISOString();
      const rows = await this.sql.$queryRaw<{ request_hash: string; response: R | null }[]>`
        SELECT request_hash, response FROM idempotency_key
        WHERE account_id = ${accountId} AND key = ${key} AND expires_at > ${now}::timestamptz`;
      const row = rows[0];
      if (!row) return null;
      if (row.request_hash !== hash) throw new IdempotencyKeyReusedError(key);
      if (row.response) return row.response;
      if (Date.now() > deadline) throw new RealtimeFailedError(504, 'inference_timeout', `the request with Idempotency-Key "${key}" is still running; retry later`);
      await sleep(pause);
    }
  }

  private async objectRow(objectId: string): Promise<ObjectRow | null> {
    const rows = await this.sql.$queryRaw<ObjectRecord[]>`SELECT * FROM object_view WHERE object_id = ${objectId}`;
    return rows[0] ? toObjectRow(rows[0]) : null;
  }
}

/**
 * Every acceptable provider failed (all_providers_failed, naming each failure), or the failover
 * stopped early: on a request the provider refused as such, or when the time ran out.
 */
function failureOutcome(failures: Parameters<typeof allFailedMessage>[0], candidates: number): RealtimeOutcome {
  const last = failures[failures.length - 1];
  const exhausted = failures.length === candidates && last.error.code !== 'provider_rejected_request';
  return exhausted
    ? { kind: 'failed', quote: last.quote, code: 'all_providers_failed', message: allFailedMessage(failures) }
    : { kind: 'failed', quote: last.quote, code: last.error.code, message: last.error.message };
}

async function recordAnswer(tx: RawSqlClient, plan: RealtimePlan, answer: InferenceResponse, at: Date): Promise<void> {
  const metadata = plan.metadata === undefined ? null : JSON.stringify(plan.metadata);
  await tx.$executeRaw`
    INSERT INTO inference_record (object_id, account_id, response, customer_ref, metadata, created_at)
    VALUES (${plan.objectId}, ${plan.accountId}, ${JSON.stringify(answer)}::jsonb, ${plan.customerRef ?? null}, ${metadata}, ${at.toISOString()}::timestamptz)`;
}

/** Only successes are replayed: a retry after a failure runs again. */
async function forgetKey(tx: RawSqlClient, accountId: string, key: string, objectId: string): Promise<void> {
  await tx.$executeRaw`DELETE FROM idempotency_key WHERE account_id = ${accountId} AND key = ${key} AND object_id = ${objectId}`;
}
