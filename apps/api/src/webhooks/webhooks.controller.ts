import { Body, Controller, Get, HttpCode, Inject, Param, Post, Put, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import type { RawSqlClient } from '@sluice/persistence';
import { SQL } from '@sluice/platform';
import type { AuthenticatedAccount } from '../accounts/accounts.repository';
import { AccountAuthGuard, CurrentAccount } from '../accounts/auth.guards';
import type { WebhookConfig } from '../config';
import { NotFoundError } from '../errors/api-error';
import { parseBody } from '../errors/parse-body';
import { findTask } from '../read-models/task-view.store';
import { checkCallbackUrl } from './callback-url';
import { WEBHOOK_CONFIG } from './webhook-config';
import { defaultEndpointOf, deliveryLog, rotateSecret, setDefaultEndpoint } from './webhook.store';

/** `PUT /v1/webhook-endpoint`: the account's default callback URL, or null to have none. */
export const WebhookEndpointBody = z.strictObject({
  url: z.string('url is a URL or null').max(512, 'url is at most 512 characters').nullable(),
});

/** The account's signing secret, and a task's webhook delivery log. */
@Controller()
@UseGuards(AccountAuthGuard)
export class WebhooksController {
  constructor(
    @Inject(SQL) private readonly sql: RawSqlClient,
    @Inject(WEBHOOK_CONFIG) private readonly config: WebhookConfig,
  ) {}

  /** The callback URL of the account's tasks and batches submitted without one (a submission's own `callback_url` wins). */
  @Put('v1/webhook-endpoint')
  async setEndpoint(@CurrentAccount() account: AuthenticatedAccount, @Body() body: unknown) {
    const { url } = parseBody(WebhookEndpointBody, body, 'body');
    const checked = url === null ? null : checkCallbackUrl(url, this.config.SLUICE_WEBHOOK_ALLOW_HTTP, 'url');
    await setDefaultEndpoint(this.sql, account.accountId, checked, new Date());
    return { object: 'webhook_endpoint', url: (await defaultEndpointOf(this.sql, account.accountId)) ?? null };
  }

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
