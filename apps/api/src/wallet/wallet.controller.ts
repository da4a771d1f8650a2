import { Controller, Get, Inject, Query, UseGuards } from '@nestjs/common';
import type { RawSqlClient } from '@sluice/persistence';
import { SERVICE_RUNTIME, SQL, type ServiceRuntime } from '@sluice/platform';
import type { AuthenticatedAccount } from '../accounts/accounts.repository';
import { AccountAuthGuard, CurrentAccount } from '../accounts/auth.guards';
import { NotFoundError, ValidationError } from '../errors/api-error';
import { parseBody } from '../errors/parse-body';
import { listObject } from '../openai-batches/openai-batch.view';
import { DEFAULT_USAGE_WINDOW_MS, PageQuerySchema, UsageQuerySchema } from './wallet-request';
import { listTransactions, ownsTransaction, usageBuckets } from './wallet.store';
import { transactionObject, usageObject } from './wallet.view';

/** The wallet's history: its movements (from billing's events) and what its requests used. */
@Controller('v1')
@UseGuards(AccountAuthGuard)
export class WalletController {
  constructor(
    @Inject(SQL) private readonly sql: RawSqlClient,
    @Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime,
  ) {}

  @Get('transactions')
  async transactions(@CurrentAccount() account: AuthenticatedAccount, @Query() query: unknown) {
    const { after, limit = 20 } = parseBody(PageQuerySchema, query, 'query');
    if (after !== undefined && !(await ownsTransaction(this.sql, account.accountId, after))) throw new NotFoundError('transaction', after);
    const rows = await listTransactions(this.sql, account.accountId, after, limit + 1);
    return listObject(rows.slice(0, limit).map(transactionObject), rows.length > limit);
  }

  @Get('usage')
  async usage(@CurrentAccount() account: AuthenticatedAccount, @Query() query: unknown) {
    const q = parseBody(UsageQuerySchema, query, 'query');
    const end = q.end_time ?? this.runtime.clock.now();
    const start = q.start_time ?? new Date(end.getTime() - DEFAULT_USAGE_WINDOW_MS);
    if (start.getTime() >= end.getTime()) throw new ValidationError([{ field: 'query.start_time', message: 'start_time must be before end_time' }]);
    return usageObject({ start, end, groupBy: q.group_by }, await usageBuckets(this.sql, account.accountId, start, end, q.group_by));
  }
}
