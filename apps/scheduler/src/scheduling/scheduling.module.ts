import { Module } from '@nestjs/common';
import { DispatchLoop } from './dispatch-loop';
import { SchedulingConsumer } from './scheduling.consumer';

@Module({ providers: [SchedulingConsumer, DispatchLoop] })
export class SchedulingModule {}
