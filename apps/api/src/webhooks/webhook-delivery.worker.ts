import { Inject, Injectable } from '@nestjs/common';
import type { RawSqlClient } from '@sluice/persistence';
import { BackgroundWorker, SQL } from '@sluice/platform';
import { WEBHOOK_CONFIG } from './webhook-config';
import type { WebhookConfig } from '../config';
import { nextAttemptAt } from './webhook-retry';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signatureHeader } from './webhook-signature';
import { dueDeliveries, nextDueAt, recordAttempt, secretOf, type AttemptOutcome, type DueDelivery } from './webhook.store';

const BATCH = 50;
const IDLE_MS = 5_000;
const MIN_WAIT_MS = 20;

/**
 * Sends the pending webhook deliveries from their table: the oldest pending one of each task
 * first (so a task's events arrive in order), each attempt logged; a 2xx delivers it, anything
 * else retries it with backoff until 24 h after its event. Sent at least once: a crash between
 * a receiver's 2xx and its record sends it again, with the same `Sluice-Event-Id`.
 */
@Injectable()
export class WebhookDeliveryWorker extends BackgroundWorker {
  constructor(
    @Inject(SQL) private readonly sql: RawSqlClient,
    @Inject(WEBHOOK_CONFIG) private readonly config: WebhookConfig,
  ) {
    super('WebhookDeliveryWorker', IDLE_MS);
  }

  protected async round(isRunning: () => boolean): Promise<void> {
    while (isRunning()) {
      const due = await dueDeliveries(this.sql, new Date(), BATCH);
      if (due.length === 0) return;
      await Promise.all(due.map((delivery) => this.attempt(delivery)));
    }
  }

  protected override async nextWaitMs(): Promise<number> {
    const next = await nextDueAt(this.sql);
    if (!next) return IDLE_MS;
    return Math.min(IDLE_MS, Math.max(MIN_WAIT_MS, next.getTime() - Date.now()));
  }

  private async attempt(delivery: DueDelivery): Promise<void> {
    const secret = await secretOf(this.sql, delivery.accountId, new Date());
    const timestamp = Math.floor(Date.now() / 1000);
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      const response = await fetch(delivery.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Sluice-Webhooks/1',
          [SIGNATURE_HEADER]: signatureHeader(secret, timestamp, delivery.body),
          [EVENT_ID_HEADER]: delivery.eventId,
        },
        body: delivery.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.config.SLUICE_WEBHOOK_TIMEOUT_MS),
      });
      statusCode = response.status;
      await response.body?.cancel().catch(() => undefined);
      if (statusCode < 200 || statusCode >= 300) error = `HTTP ${statusCode}`;
    } catch (err) {
      error = ((err as Error).cause as Error | undefined)?.message ?? (err as Error).message;
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
