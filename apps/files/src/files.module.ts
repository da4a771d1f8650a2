import { Module } from '@nestjs/common';
import { ExpansionWorker } from './expansion/expansion.worker';
import { OutputAssembler } from './output/output-assembler.worker';
import { FilesConsumers } from './registry/files.consumers';

@Module({ providers: [ExpansionWorker, OutputAssembler, FilesConsumers] })
export class FilesModule {}
