import { Module } from '@nestjs/common';
import { AccountController, AdminAccountsController } from './accounts.controller';
import { AccountsRepository } from './accounts.repository';
import { AccountAuthGuard, AdminAuthGuard } from './auth.guards';

@Module({
  controllers: [AdminAccountsController, AccountController],
  providers: [AccountsRepository, AccountAuthGuard, AdminAuthGuard],
  exports: [AccountsRepository, AccountAuthGuard],
})
export class AccountsModule {}
