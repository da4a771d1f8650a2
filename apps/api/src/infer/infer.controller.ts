import { Body, Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import type { AuthenticatedAccount } from '../accounts/accounts.repository';
import { AccountAuthGuard, CurrentAccount } from '../accounts/auth.guards';
import { parseBody } from '../errors/parse-body';
import { objectView } from '../read-models/views';
import { InferRequestSchema } from './infer-request';
import { InferService } from './infer.service';

/** The SLA batch API of the seed; paths work with and without the trailing slash (the host's Fastify adapter ignores it). */
@Controller('v0/infer')
@UseGuards(AccountAuthGuard)
export class InferController {
  constructor(private readonly infer: InferService) {}

  @Post()
  @HttpCode(200)
  submit(@CurrentAccount() account: AuthenticatedAccount, @Body() body: unknown) {
    return this.infer.submit(account.accountId, parseBody(InferRequestSchema, body, 'items'));
  }

  @Get('task/:taskId')
  task(@CurrentAccount() account: AuthenticatedAccount, @Param('taskId') taskId: string) {
    return this.infer.task(account.accountId, taskId);
  }

  @Get('object/:objectId')
  async object(@CurrentAccount() account: AuthenticatedAccount, @Param('objectId') objectId: string) {
    return objectView(await this.infer.object(account.accountId, objectId));
  }
}
