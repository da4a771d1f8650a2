import { Body, Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import type { AuthenticatedAccount } from '../accounts/accounts.repository';
import { AccountAuthGuard, CurrentAccount } from '../accounts/auth.guards';
import { OpenAiBatchesService } from './openai-batches.service';
import { CreateBatchSchema, ListBatchesQuerySchema, parseOpenAi } from './openai-request';

/** OpenAI's Batch API: `completion_window` is the SLA window, the batch a task over the input file. */
@Controller('v1/batches')
@UseGuards(AccountAuthGuard)
export class OpenAiBatchesController {
  constructor(private readonly batches: OpenAiBatchesService) {}

  @Post()
  @HttpCode(200)
  create(@CurrentAccount() account: AuthenticatedAccount, @Body() body: unknown) {
    return this.batches.create(account.accountId, parseOpenAi(CreateBatchSchema, body));
  }

  @Get()
  list(@CurrentAccount() account: AuthenticatedAccount, @Query() query: unknown) {
    const { after, limit } = parseOpenAi(ListBatchesQuerySchema, query);
    return this.batches.list(account.accountId, after, limit ?? 20);
  }

  @Get(':batchId')
  batch(@CurrentAccount() account: AuthenticatedAccount, @Param('batchId') batchId: string) {
    return this.batches.batch(account.accountId, batchId);
  }

  @Post(':batchId/cancel')
  @HttpCode(200)
  cancel(@CurrentAccount() account: AuthenticatedAccount, @Param('batchId') batchId: string) {
    return this.batches.cancel(account.accountId, batchId);
  }
}
