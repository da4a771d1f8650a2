import { Inject, Injectable, Optional } from '@nestjs/common';
import type { LookupFunction } from 'node:net';
import type { RawSqlClient } from '@sluice/persistence';
import { BackgroundWorker, SQL } from '@sluice/platform';
import { guardedLookup, type ResolveHost } from './destination-address';
import { WEBHOOK_CONFIG, WEBHOOK_RESOLVE_HOST } from './webhook-config';
import type { WebhookConfig } from '../config';
import { postWebhook } from './webhook-post';
import { nextAttemptAt } from './webhook-retry';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signatureHeader } from './webhook-signature';
import { dueDeliveries, nextDueAt, recordAttempt, secretOf, type AttemptOutcome, type DueDelivery } from './webhook.store';

/** Attempts in flight at once, over all tasks. */
const MAX_IN_FLIGHT = 50;
const IDLE_MS = 5_000;
const MIN_WAIT_MS = 20;

/**
 * Sends the pending webhook deliveries from their table: the oldest pending one of each task
 * first (so a task's events arrive in order), each attempt logged; a 2xx delivers it, anything
 * else retries it with backoff until 24 h after its event. Sent at least once: a crash between
 * a receiver's 2xx and its record sends it again, with the same `Sluice-Event-Id`.
 *
 * Attempts run on their own, at most one per task and MAX_IN_FLIGHT in all: a round starts the
 * due ones of tasks without an attempt in flight and returns, and each attempt's end wakes the
 * worker, so a receiver that hangs until the timeout holds back only its own task.
 */
@Injectable()
export class WebhookDeliveryWorker extends BackgroundWorker {
  /** Each task's attempt in flight. */
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly lookup: LookupFunction;

  constructor(
    @Inject(SQL) private readonly sql: RawSqlClient,
    @Inject(WEBHOOK_CONFIG) private readonly config: WebhookConfig,
    @Optional() @Inject(WEBHOOK_RESOLVE_HOST) resolveHost?: ResolveHost,
  ) {
    super('WebhookDeliveryWorker', IDLE_MS);
    this.lookup = guardedLookup(config.SLUICE_WEBHOOK_ALLOW_HTTP, resolveHost);
  }

  protected async round(isRunning: () => boolean): Promise<void> {
    const free = MAX_IN_FLIGHT - this.inFlight.size;
    if (!isRunning() || free <= 0) return;
    // Taken before the query: a task whose attempt ends while the query runs may still show its old row as pending.
    const busy = [...this.inFlight.keys()];
    const due = await dueDeliveries(this.sql, new Date(), free, busy);
    if (!isRunning()) return;
    for (const delivery of due) {
      const attempt = this.attempt(delivery)
        .catch((err: Error) => this.logger.warn(`webhook ${delivery.eventId} of task ${delivery.taskId}: attempt not recorded, will retry: ${err.message}`))
        .finally(() => {
          this.inFlight.delete(delivery.taskId);
          this.wake();
        });
      this.inFlight.set(delivery.taskId, attempt);
    }
  }

  protected override async nextWaitMs(): Promise<number> {
    // Full: the next attempt to end wakes the worker.
    if (this.inFlight.size >= MAX_IN_FLIGHT) return IDLE_MS;
    const next = await nextDueAt(this.sql, [...this.inFlight.keys()]);
    if (!next) return IDLE_MS;
    return Math.min(IDLE_MS, Math.max(MIN_WAIT_MS, next.getTime() - Date.now()));
  }

  /** Stops picking, then waits for the attempts in flight (each ends by its timeout) so each is recorded. */
  override async beforeApplicationShutdown(): Promise<void> {
    await super.beforeApplicationShutdown();
    await Promise.all(this.inFlight.values());
  }

  private async attempt(delivery: DueDelivery): Promise<void> {
    const secret = await secretOf(this.sql, delivery.accountId, new Date());
    const timestamp = Math.floor(Date.now() / 1000);
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      statusCode = await postWebhook({
        url: delivery.url,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Sluice-Webhooks/1',
          [SIGNATURE_HEADER]: signatureHeader(secret, timestamp, delivery.body),
          [EVENT_ID_HEADER]: delivery.eventId,
        },
        body: delivery.body,
        timeoutMs: this.config.SLUICE_WEBHOOK_TIMEOUT_MS,
        lookup: this.lookup,
        allowLocal: this.config.SLUICE_WEBHOOK_ALLOW_HTTP,
      });
      if (statusCode < 200 || statusCode >= 300) error = `HTTP ${statusCode}`;
    } catch (err) {
      error = (err as Error).message;
    }
    const at = new Date();
    let outcome: AttemptOutcome;
    if (error === null) {
      outcome = { at, statusCode, error, status: 'delivered', nextAttemptAt: null };
    } else {
      const next = nextAttemptAt(delivery.createdAt, at, delivery.attempts + 1, this.config.SLUICE_WEBHOOK_RETRY_BASE_MS);
      outcome = { at, statusCode, error, status: next ? 'pending' : 'failed', nextAttemptAt: next };
      this.logger.warn(`webhook ${delivery.eventId} of task ${delivery.taskId}: ${error}; ${next ? `retry at ${next.toISOString()}` : 'given up after 24 h'}`);
    }
    await recordAttempt(this.sql, delivery.eventId, outcome);
  }
}
