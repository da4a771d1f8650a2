import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { EventStore, PRISMA, SERVICE_RUNTIME, SQL, type ServiceRuntime } from '@sluice/platform';
import type { RawSqlClient } from '@sluice/persistence';
import { traceparentOf } from '@sluice/telemetry';
import { IdempotencyKeyReusedError, InsufficientBalanceError, NotFoundError, RealtimeFailedError } from '../errors/api-error';
import { parseBody } from '../errors/parse-body';
import { PrismaClient } from '../generated/prisma/client';
import { FinishedObjectsNotifier, type ObjectFollow } from '../read-models/finished-objects.notifier';
import type { ObjectRow } from '../read-models/object.projection';
import { toObjectRow } from '../read-models/read-model.store';
import { RealtimeRequestSchema } from './realtime-request';
import { inferenceRecord, inferenceResponse, isAnswerable, microsToUsd, type InferenceResponse } from './realtime.view';
import { DEFAULT_MARKUP_BPS, submitRealtime } from './submit-realtime.decider';

/** How long (real time) POST /v1/inference waits for the answer and its charge. */
export const REALTIME_WAIT_MS = 60_000;
/** An Idempotency-Key is remembered for 24 hours (clock time) after its first use, per account. */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;
/** Options a test may override (the service is otherwise configured by these defaults). */
export const REALTIME_OPTIONS = Symbol('REALTIME_OPTIONS');
export interface RealtimeOptions {
  markupBps: number;
  waitMs: number;
}

type ObjectRecord = Parameters<typeof toObjectRow>[0];

export interface InferenceResult {
  response: InferenceResponse;
  /** True when the stored response of an earlier request with the same key is returned. */
  replay: boolean;
}

/** Failure codes of a real-time object, as HTTP: the customer's caps are 422, the market's state 503. */
function failureOf(row: ObjectRow): RealtimeFailedError | InsufficientBalanceError {
  const code = row.errorCode ?? 'all_providers_failed';
  const message = row.errorMessage ?? code;
  switch (code) {
    case 'insufficient_balance':
      return new InsufficientBalanceError(message);
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

/** The slowest re-read of a waiting request's object (real time). */
const MAX_POLL_MS = 2_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

@Injectable()
export class RealtimeService {
  private readonly options: RealtimeOptions;

  constructor(
    private readonly eventStore: EventStore,
    private readonly notifier: FinishedObjectsNotifier,
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(SQL) private readonly sql: RawSqlClient,
    @Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime,
    @Inject(REALTIME_OPTIONS) options: Partial<RealtimeOptions> | null,
  ) {
    this.options = { markupBps: DEFAULT_MARKUP_BPS, waitMs: REALTIME_WAIT_MS, ...(options ?? {}) };
  }

  /**
   * Runs one request through the exchange (the same events as the batch path) and answers
   * once the object completed and its charge is projected. With an Idempotency-Key, the
   * (account, key) row is inserted in the emitting transaction: a retry that loses the
   * insert waits for the first request's stored response instead of running again.
   */
  async infer(accountId: string, body: unknown, idempotencyKey?: string): Promise<InferenceResult> {
    const started = performance.now();
    const request = parseBody(RealtimeRequestSchema, body);
    const hash = requestHash(body);
    const deadline = Date.now() + this.options.waitMs;
    for (;;) {
      if (idempotencyKey !== undefined) {
        const stored = await this.storedResponse(accountId, idempotencyKey, hash, deadline);
        if (stored) return { response: stored, replay: true };
      }
      const now = this.runtime.clock.now();
      const submission = submitRealtime(request, { catalogue: this.runtime.catalogue, accountId, markupBps: this.options.markupBps, now, newId: randomUUID, traceparent: traceparentOf() });
      await this.precheckBalance(accountId, submission.reservationMicros);
      // Followed before the events exist, so the projection's wake-up cannot be missed.
      const follow = this.notifier.follow(submission.objectId);
      const claimed = await this.eventStore.transact(async (tx) => {
        if (idempotencyKey === undefined) return { result: true, events: submission.events };
        const expiresAt = new Date(now.getTime() + IDEMPOTENCY_KEY_TTL_MS).toISOString();
        // Takes an expired key over; a live one makes this request a retry (no events).
        const rows = await tx.$queryRaw<{ object_id: string }[]>`
          INSERT INTO idempotency_key (account_id, key, request_hash, object_id, response, created_at, expires_at)
          VALUES (${accountId}, ${idempotencyKey}, ${hash}, ${submission.objectId}, NULL, ${now.toISOString()}::timestamptz, ${expiresAt}::timestamptz)
          ON CONFLICT (account_id, key) DO UPDATE SET request_hash = excluded.request_hash, object_id = excluded.object_id,
            response = NULL, created_at = excluded.created_at, expires_at = excluded.expires_at
          WHERE idempotency_key.expires_at <= excluded.created_at
          RETURNING object_id`;
        return rows.length > 0 ? { result: true, events: submission.events } : { result: false, events: [] };
      }).catch((err: unknown) => {
        follow.close();
        throw err;
      });
      if (!claimed) {
        follow.close();
        continue;
      }
      try {
        const row = await this.waitForAnswer(submission.objectId, follow, deadline).finally(() => follow.close());
        const response = inferenceResponse(row, request.model, Math.round(performance.now() - started));
        if (idempotencyKey !== undefined) {
          await this.prisma.$executeRaw`
            UPDATE idempotency_key SET response = ${JSON.stringify(response)}::jsonb
            WHERE account_id = ${accountId} AND key = ${idempotencyKey} AND object_id = ${submission.objectId}`;
        }
        return { response, replay: false };
      } catch (err) {
        // Only successes are replayed: a retry after a failure runs again.
        if (idempotencyKey !== undefined) {
          await this.prisma.$executeRaw`
            DELETE FROM idempotency_key WHERE account_id = ${accountId} AND key = ${idempotencyKey} AND object_id = ${submission.objectId}`;
        }
        throw err;
      }
    }
  }

  async record(accountId: string, objectId: string) {
    const row = await this.objectRow(objectId);
    if (!row || row.accountId !== accountId || row.submittedAt === null) throw new NotFoundError('inference', objectId);
    return inferenceRecord(row);
  }

  private async precheckBalance(accountId: string, requiredMicros: number): Promise<void> {
    const [balance] = await this.sql.$queryRaw<{ available_micros: bigint }[]>`
      SELECT available_micros FROM balance_view WHERE account_id = ${accountId}`;
    const available = Number(balance?.available_micros ?? 0);
    if (available < requiredMicros) {
      throw new InsufficientBalanceError(
        `the wallet holds $${microsToUsd(available)}, this request may cost up to $${microsToUsd(requiredMicros)}; add funds, lower max_output_tokens or set max_price_usd`,
      );
    }
  }

  /**
   * The response stored under the key, waiting while its first request still runs; null when
   * the key is free (never used, expired, or its first request failed).
   */
  private async storedResponse(accountId: string, key: string, hash: string, deadline: number): Promise<InferenceResponse | null> {
    for (let pause = 5; ; pause = Math.min(pause * 2, 50)) {
      const now = this.runtime.clock.now().toISOString();
      const rows = await this.sql.$queryRaw<{ request_hash: string; response: InferenceResponse | null }[]>`
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

  /**
   * Waits (real time, bounded) until the object is charged or failed in the read model. This
   * instance's projection wakes it at once with the committed row; the backing-off poll covers
   * partitions another instance projects without loading the database with every waiting request.
   */
  private async waitForAnswer(objectId: string, follow: ObjectFollow, deadline: number): Promise<ObjectRow> {
    for (let pause = 100; ; ) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new RealtimeFailedError(504, 'inference_timeout', `inference ${objectId} has not finished yet; read it later with GET /v1/inference/${objectId}`);
      }
      const woken = await follow.next(Math.min(pause, left));
      if (woken === null) pause = Math.min(pause * 2, MAX_POLL_MS);
      const row = woken?.row ?? (await this.objectRow(objectId));
      if (row && isAnswerable(row)) return row;
      if (row?.status === 'failed') throw failureOf(row);
    }
  }
}
