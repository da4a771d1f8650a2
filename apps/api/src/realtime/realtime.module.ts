import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { ReadModelsModule } from '../read-models/read-models.module';
import { RealtimeController } from './realtime.controller';
import { REALTIME_OPTIONS, RealtimeService } from './realtime.service';

@Module({
  imports: [AccountsModule, ReadModelsModule],
  controllers: [RealtimeController],
  providers: [RealtimeService, { provide: REALTIME_OPTIONS, useValue: null }],
})
export class RealtimeModule {}
