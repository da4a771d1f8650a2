import { Module } from '@nestjs/common';
import { FinishedObjectsNotifier } from './finished-objects.notifier';
import { ReadModelsConsumer } from './read-models.consumer';

@Module({ providers: [FinishedObjectsNotifier, ReadModelsConsumer], exports: [FinishedObjectsNotifier] })
export class ReadModelsModule {}
