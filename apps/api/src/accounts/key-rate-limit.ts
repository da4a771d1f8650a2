import { Injectable } from '@nestjs/common';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { RateLimitedError } from '../errors/api-error';
import type { AuthenticatedAccount } from './accounts.repository';

/**
 * A key's requests-per-minute ceiling, counted by this API replica in memory (N replicas
 * admit up to N × the ceiling): cheap enough for every request, and never a database write.
 */
@Injectable()
export class KeyRateLimits {
  /** One limiter per ceiling in use; each counts per key id. */
  private readonly limiters = new Map<number, RateLimiterMemory>();

  async admit(account: AuthenticatedAccount): Promise<void> {
    const { rpmLimit } = account;
    if (rpmLimit === null) return;
    let limiter = this.limiters.get(rpmLimit);
    if (!limiter) {
      limiter = new RateLimiterMemory({ points: rpmLimit, duration: 60 });
      this.limiters.set(rpmLimit, limiter);
    }
    try {
      await limiter.consume(account.apiKeyId);
    } catch (refused) {
      if (!(refused instanceof RateLimiterRes)) throw refused;
      throw new RateLimitedError(rpmLimit, Math.max(1, Math.ceil(refused.msBeforeNext / 1000)));
    }
  }
}
