import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { WalletController } from './wallet.controller';

@Module({ imports: [AccountsModule], controllers: [WalletController] })
export class WalletModule {}
