import { Module } from '@nestjs/common';
import { AccountController, AdminAccountsController } from './accounts.controller';
import { AccountsRepository } from './accounts.repository';
import { AccountAuthGuard, AdminAuthGuard } from './auth.guards';
import { KeyRateLimits } from './key-rate-limit';

@Module({
  controllers: [AdminAccountsController, AccountController],
  providers: [AccountsRepository, KeyRateLimits, AccountAuthGuard, AdminAuthGuard],
  exports: [AccountsRepository, KeyRateLimits, AccountAuthGuard],
})
export class AccountsModule {}
