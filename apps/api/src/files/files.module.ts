import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { FilesController } from './files.controller';
import { FilesService } from './files.service';

@Module({ imports: [AccountsModule], controllers: [FilesController], providers: [FilesService], exports: [FilesService] })
export class FilesModule {}
