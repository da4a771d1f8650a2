import { createParamDecorator, Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { SERVICE_RUNTIME, type ServiceRuntime } from '@sluice/platform';
import type { FastifyRequest } from 'fastify';
import { UnauthorizedError } from '../errors/api-error';
import { AccountsRepository, type AuthenticatedAccount } from './accounts.repository';
import { bearerKey } from './api-key';
import { KeyRateLimits } from './key-rate-limit';

type AuthenticatedRequest = FastifyRequest & { account?: AuthenticatedAccount };

/** `Authorization: Bearer <account key>`; the account is then available through `@CurrentAccount()`. */
@Injectable()
export class AccountAuthGuard implements CanActivate {
  constructor(
    private readonly accounts: AccountsRepository,
    private readonly rateLimits: KeyRateLimits,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const account = await this.accounts.authenticate(bearerKey(request.headers.authorization));
    await this.rateLimits.admit(account);
    request.account = account;
    return true;
  }
}

export const CurrentAccount = createParamDecorator((_: unknown, context: ExecutionContext): AuthenticatedAccount => {
  const account = context.switchToHttp().getRequest<AuthenticatedRequest>().account;
  if (!account) throw new Error('CurrentAccount used on a route without AccountAuthGuard');
  return account;
});

const digest = (s: string) => createHash('sha256').update(s).digest();

/** `Authorization: Bearer <admin key>` (the operator's, from the runtime); without one configured, admin endpoints answer 401. */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  constructor(@Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime) {}

  canActivate(context: ExecutionContext): boolean {
    const adminKey = this.runtime.http?.adminKey;
    if (!adminKey) throw new UnauthorizedError('admin endpoints are disabled: no admin key is configured');
    const given = bearerKey(context.switchToHttp().getRequest<FastifyRequest>().headers.authorization);
    if (!given) throw new UnauthorizedError('missing admin key: send Authorization: Bearer <admin key>');
    if (!timingSafeEqual(digest(given), digest(adminKey))) throw new UnauthorizedError('unknown admin key');
    return true;
  }
}
