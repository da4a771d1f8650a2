import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { ReadModelsModule } from '../read-models/read-models.module';
import { InferController } from './infer.controller';
import { InferService } from './infer.service';

@Module({ imports: [AccountsModule, ReadModelsModule], controllers: [InferController], providers: [InferService] })
export class InferModule {}
