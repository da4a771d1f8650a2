import { randomUUID } from 'node:crypto';
import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, UseGuards } from '@nestjs/common';
import type { RawSqlClient } from '@sluice/persistence';
import { SQL } from '@sluice/platform';
import { toMicros, toUsd } from '@sluice/pricing';
import { spendableMicros } from '../realtime/gateway-holds';
import { z } from 'zod';
import { parseBody } from '../errors/parse-body';
import { isStorableText, UNSTORABLE_MESSAGE } from '../errors/storable-text';
import { listObject } from '../openai-batches/openai-batch.view';
import { PageQuerySchema } from '../wallet/wallet-request';
import { AccountsRepository, type AuthenticatedAccount, type ListedKey } from './accounts.repository';
import { AccountAuthGuard, AdminAuthGuard, CurrentAccount } from './auth.guards';

const MAX_CREDIT_USD = 1_000_000;
// Wallets count whole micro-dollars: a smaller amount would be echoed back and credit nothing.
const usdAmount = (field: string) =>
  z
    .number(`${field} must be a number of US dollars`)
    .nonnegative(`${field} cannot be negative`)
    .max(MAX_CREDIT_USD, `${field} is at most ${MAX_CREDIT_USD}`)
    .refine((usd) => usd === 0 || usd >= 0.000001, `${field} is at least 0.000001 (one micro-dollar)`);

/** A key's requests-per-minute ceiling (absent: none). */
const RpmLimit = z.int('rpm_limit must be a whole number').min(1, 'rpm_limit must be at least 1').max(1_000_000, 'rpm_limit is at most 1000000').nullish();

export const CreateAccountBody = z.strictObject({
  name: z.string('name is required').trim().min(1, 'name is required').max(200).refine(isStorableText, `name ${UNSTORABLE_MESSAGE}`),
  credit_usd: usdAmount('credit_usd').default(0),
  /** The first key's ceiling. */
  rpm_limit: RpmLimit,
});

export const CreateKeyBody = z.strictObject({ rpm_limit: RpmLimit }).nullish();

export const CreditBody = z.strictObject({
  amount_usd: usdAmount('amount_usd').positive('amount_usd must be more than 0'),
  reference: z.string().trim().min(1).max(200).refine(isStorableText, `reference ${UNSTORABLE_MESSAGE}`).optional(),
});

/** A key as GET /v1/api-keys lists it. */
export function apiKeyObject(key: ListedKey) {
  return {
    object: 'api_key' as const,
    id: key.id,
    prefix: key.prefix,
    state: key.active ? ('active' as const) : ('inactive' as const),
    active: key.active,
    rpm_limit: key.rpmLimit,
    created_at: key.createdAt.toISOString(),
    last_used_at: key.lastUsedAt?.toISOString() ?? null,
    deactivated_at: key.deactivatedAt?.toISOString() ?? null,
  };
}

/** The operator's endpoints (admin key): accounts and wallet credits; the `sluice accounts` CLI calls them. */
@Controller('v0/admin/accounts')
@UseGuards(AdminAuthGuard)
export class AdminAccountsController {
  constructor(private readonly accounts: AccountsRepository) {}

  @Post()
  @HttpCode(201)
  async create(@Body() body: unknown) {
    const { name, credit_usd, rpm_limit } = parseBody(CreateAccountBody, body);
    const { accountId, key } = await this.accounts.createAccount(name, toMicros(credit_usd), rpm_limit ?? null);
    return { account_id: accountId, name, api_key: key.key, api_key_id: key.id, rpm_limit: key.rpmLimit, credit_usd: toUsd(toMicros(credit_usd)) };
  }

  @Post(':accountId/credit')
  @HttpCode(202)
  async credit(@Param('accountId') accountId: string, @Body() body: unknown) {
    const { amount_usd, reference } = parseBody(CreditBody, body);
    const ref = reference ?? `admin-credit:${randomUUID()}`;
    const { repeated } = await this.accounts.requestCredit(accountId, toMicros(amount_usd), ref);
    return { account_id: accountId, amount_usd: toUsd(toMicros(amount_usd)), reference: ref, status: repeated ? 'already_requested' : 'requested' };
  }
}

/** An account's own keys and balance. */
@Controller('v1')
@UseGuards(AccountAuthGuard)
export class AccountController {
  constructor(
    private readonly accounts: AccountsRepository,
    @Inject(SQL) private readonly sql: RawSqlClient,
  ) {}

  /** Another key for the caller's account; the key itself is shown only in this answer. */
  @Post('api-keys')
  @HttpCode(201)
  async createKey(@CurrentAccount() account: AuthenticatedAccount, @Body() body: unknown) {
    const requested = parseBody(CreateKeyBody, body);
    const key = await this.accounts.issueKey(account.accountId, requested?.rpm_limit ?? null);
    return { object: 'api_key', id: key.id, key: key.key, prefix: key.prefix, active: true, rpm_limit: key.rpmLimit, created_at: key.createdAt.toISOString() };
  }

  /** The account's keys, newest first: prefix, state and last use, never the key itself. */
  @Get('api-keys')
  async listKeys(@CurrentAccount() account: AuthenticatedAccount, @Query() query: unknown) {
    const { after, limit = 20 } = parseBody(PageQuerySchema, query, 'query');
    const rows = await this.accounts.listKeys(account.accountId, after, limit + 1);
    return listObject(rows.slice(0, limit).map(apiKeyObject), rows.length > limit);
  }

  @Post('api-keys/:keyId/deactivate')
  @HttpCode(200)
  async deactivateKey(@CurrentAccount() account: AuthenticatedAccount, @Param('keyId') keyId: string) {
    const { id, deactivatedAt } = await this.accounts.deactivateKey(account.accountId, keyId);
    return { object: 'api_key', id, active: false, deactivated_at: deactivatedAt.toISOString() };
  }

  /**
   * The wallet's available balance as billing last reported it, less the real-time requests
   * served whose charge it does not show yet (0 before its first movement).
   */
  @Get('balance')
  async balance(@CurrentAccount() account: AuthenticatedAccount) {
    return { object: 'balance', current_balance_usd: toUsd(await spendableMicros(this.sql, account.accountId)) };
  }
}
