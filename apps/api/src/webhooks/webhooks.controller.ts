import { Controller, Get, HttpCode, Inject, Param, Post, UseGuards } from '@nestjs/common';
import type { RawSqlClient } from '@sluice/persistence';
import { SQL } from '@sluice/platform';
import type { AuthenticatedAccount } from '../accounts/accounts.repository';
import { AccountAuthGuard, CurrentAccount } from '../accounts/auth.guards';
import { NotFoundError } from '../errors/api-error';
import { findTask } from '../read-models/task-view.store';
import { deliveryLog, rotateSecret } from './webhook.store';

/** The account's signing secret, and a task's webhook delivery log. */
@Controller()
@UseGuards(AccountAuthGuard)
export class WebhooksController {
  constructor(@Inject(SQL) private readonly sql: RawSqlClient) {}

  /** A new signing secret (the old one stops signing at once), shown this once. */
  @Post('v1/webhook-secret')
  @HttpCode(201)
  async rotate(@CurrentAccount() account: AuthenticatedAccount) {
    const now = new Date();
    const secret = await rotateSecret(this.sql, account.accountId, now);
    return { object: 'webhook_secret', secret, created_at: now.toISOString() };
  }

  @Get('v0/infer/task/:taskId/webhooks')
  async deliveries(@CurrentAccount() account: AuthenticatedAccount, @Param('taskId') taskId: string) {
    const task = await findTask(this.sql, taskId);
    if (!task || task.accountId !== account.accountId) throw new NotFoundError('task', taskId);
    const rows = await deliveryLog(this.sql, taskId);
    return {
      object: 'list',
      data: rows.map((row) => ({
        event_id: row.eventId,
        type: row.type,
        url: row.url,
        status: row.status,
        attempts: row.attempts,
        created_at: row.createdAt.toISOString(),
        delivered_at: row.deliveredAt?.toISOString() ?? null,
        next_attempt_at: row.status === 'pending' ? row.nextAttemptAt.toISOString() : null,
        log: row.log.map((a) => ({ attempted_at: a.at.toISOString(), status_code: a.statusCode, error: a.error })),
      })),
    };
  }
}
