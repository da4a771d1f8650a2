import { Module } from '@nestjs/common';
import { DeadLetterConsumer } from './dead-letter.consumer';
import { DispatchLoop } from './dispatch-loop';
import { SchedulingConsumer } from './scheduling.consumer';

@Module({ providers: [SchedulingConsumer, DispatchLoop, DeadLetterConsumer] })
export class SchedulingModule {}
