import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AuthenticatedAccount } from '../accounts/accounts.repository';
import { AccountAuthGuard, CurrentAccount } from '../accounts/auth.guards';
import { parseBody } from '../errors/parse-body';
import { objectView } from '../read-models/views';
import type { WebhookConfig } from '../config';
import { checkCallbackUrl } from '../webhooks/callback-url';
import { WEBHOOK_CONFIG } from '../webhooks/webhook-config';
import { FileInferRequestSchema, InferRequestSchema, isFileRequest, OutputFormatSchema, SubmitQuerySchema } from './infer-request';
import { endAdmission } from './admission.hooks';
import { InferService } from './infer.service';
import { ListTasksQuerySchema, TaskObjectsQuerySchema } from './list-queries';

/** The SLA batch API of the seed; paths work with and without the trailing slash (the host's Fastify adapter ignores it). */
@Controller('v0/infer')
@UseGuards(AccountAuthGuard)
export class InferController {
  constructor(
    private readonly infer: InferService,
    @Inject(WEBHOOK_CONFIG) private readonly webhooks: WebhookConfig,
  ) {}

  @Post()
  @HttpCode(200)
  submit(@CurrentAccount() account: AuthenticatedAccount, @Body() body: unknown, @Headers('output-format') outputFormat: string | undefined, @Query() query: unknown, @Req() request: FastifyRequest) {
    const format = parseBody(OutputFormatSchema, outputFormat, 'Output-Format');
    const { callback_url } = parseBody(SubmitQuerySchema, query, 'query');
    const callbackUrl = callback_url === undefined ? undefined : checkCallbackUrl(callback_url, this.webhooks.SLUICE_WEBHOOK_ALLOW_HTTP, 'query.callback_url');
    // Admitted once the task committed: background work is not held while the answer waits or is written.
    const committed = () => endAdmission(request);
    if (isFileRequest(body)) {
      return this.infer.submitFile(account.accountId, parseBody(FileInferRequestSchema, body, 'items')[0], { outputFormat: format, baseUrl: baseUrlOf(request), committed, callbackUrl });
    }
    return this.infer.submit(account.accountId, parseBody(InferRequestSchema, body, 'items'), { outputFormat: format, baseUrl: baseUrlOf(request), committed, callbackUrl });
  }

  @Get('tasks')
  tasks(@CurrentAccount() account: AuthenticatedAccount, @Query() query: unknown) {
    return this.infer.tasks(account.accountId, parseBody(ListTasksQuerySchema, query, 'query'));
  }

  @Get('task/:taskId')
  task(@CurrentAccount() account: AuthenticatedAccount, @Param('taskId') taskId: string, @Query() query: unknown, @Req() request: FastifyRequest) {
    return this.infer.task(account.accountId, taskId, baseUrlOf(request), parseBody(TaskObjectsQuerySchema, query, 'query'));
  }

  @Post('task/:taskId/cancel')
  @HttpCode(200)
  cancel(@CurrentAccount() account: AuthenticatedAccount, @Param('taskId') taskId: string, @Req() request: FastifyRequest) {
    return this.infer.cancel(account.accountId, taskId, baseUrlOf(request));
  }

  @Get('object/:objectId')
  async object(@CurrentAccount() account: AuthenticatedAccount, @Param('objectId') objectId: string) {
    return objectView(await this.infer.object(account.accountId, objectId));
  }
}

/** Where the caller reached the API (output_url points back there). */
export function baseUrlOf(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}
