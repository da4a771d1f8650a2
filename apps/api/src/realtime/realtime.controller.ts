import { Body, Controller, Get, Headers, HttpCode, Param, Post, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { AuthenticatedAccount } from '../accounts/accounts.repository';
import { AccountAuthGuard, CurrentAccount } from '../accounts/auth.guards';
import { ValidationError } from '../errors/api-error';
import { RealtimeService } from './realtime.service';

const MAX_KEY_LENGTH = 255;

/** The Idempotency-Key header, checked (1 to 255 characters) when present. */
export function idempotencyKeyOf(header: string | undefined): string | undefined {
  if (header !== undefined && (header.length === 0 || header.length > MAX_KEY_LENGTH)) {
    throw new ValidationError([{ field: 'Idempotency-Key', message: `must be 1 to ${MAX_KEY_LENGTH} characters` }]);
  }
  return header;
}

/** The real-time API of the seed (003): one routed inference, answered with its charge. */
@Controller('v1/inference')
@UseGuards(AccountAuthGuard)
export class RealtimeController {
  constructor(private readonly realtime: RealtimeService) {}

  @Post()
  @HttpCode(200)
  async infer(
    @CurrentAccount() account: AuthenticatedAccount,
    @Body() body: unknown,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { response, replay } = await this.realtime.infer(account.accountId, body, idempotencyKeyOf(idempotencyKey));
    if (replay) void reply.header('Idempotent-Replay', 'true');
    return response;
  }

  @Get(':id')
  record(@CurrentAccount() account: AuthenticatedAccount, @Param('id') id: string) {
    return this.realtime.record(account.accountId, id);
  }
}
