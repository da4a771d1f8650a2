import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { RealtimeModule } from '../realtime/realtime.module';
import { ChatCompletionsController } from './chat.controller';
import { ModelsController } from './models.controller';

/** The OpenAI-compatible surface for the real-time gateway: models and chat completions. */
@Module({
  imports: [AccountsModule, RealtimeModule],
  controllers: [ChatCompletionsController, ModelsController],
})
export class OpenAiModule {}
