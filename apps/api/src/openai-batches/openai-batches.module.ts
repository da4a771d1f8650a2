import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { FilesModule } from '../files/files.module';
import { OpenAiBatchesController } from './openai-batches.controller';
import { OpenAiBatchesService } from './openai-batches.service';
import { OpenAiFilesController } from './openai-files.controller';

/** OpenAI's Files and Batch APIs (`/v1/files`, `/v1/batches`) for the official SDKs. */
@Module({ imports: [AccountsModule, FilesModule], controllers: [OpenAiFilesController, OpenAiBatchesController], providers: [OpenAiBatchesService] })
export class OpenAiBatchesModule {}
