import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { ReadModelsModule } from '../read-models/read-models.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { InferController } from './infer.controller';
import { InferService } from './infer.service';
import { TokenizerWarmup } from './tokenizer-warmup';

@Module({ imports: [AccountsModule, ReadModelsModule, WebhooksModule], controllers: [InferController], providers: [InferService, TokenizerWarmup] })
export class InferModule {}
