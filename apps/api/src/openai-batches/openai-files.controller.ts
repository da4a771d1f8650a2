import { Controller, Delete, Get, HttpCode, Param, Post, Query, Req, StreamableFile, UseGuards } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AuthenticatedAccount } from '../accounts/accounts.repository';
import { AccountAuthGuard, CurrentAccount } from '../accounts/auth.guards';
import { RequestError } from '../errors/api-error';
import { attachmentOf } from '../files/files.controller';
import { FilesService } from '../files/files.service';
import { fileObject } from './openai-batch.view';
import { OpenAiBatchesService } from './openai-batches.service';
import { checkUploadPurpose, ListFilesQuerySchema, parseOpenAi } from './openai-request';

/**
 * OpenAI's Files API over Sluice's file store: the same upload pipeline, owner checks and
 * downloads as `/v0/files`, in OpenAI's file object. Only batch inputs are uploaded here.
 */
@Controller('v1/files')
@UseGuards(AccountAuthGuard)
export class OpenAiFilesController {
  constructor(
    private readonly files: FilesService,
    private readonly batches: OpenAiBatchesService,
  ) {}

  @Post()
  @HttpCode(200)
  async upload(@CurrentAccount() account: AuthenticatedAccount, @Req() request: FastifyRequest) {
    return fileObject(await this.files.upload(account.accountId, null, request.raw, checkUploadPurpose));
  }

  @Get()
  list(@CurrentAccount() account: AuthenticatedAccount, @Query() query: unknown) {
    return this.batches.files(account.accountId, parseOpenAi(ListFilesQuerySchema, query));
  }

  @Get(':fileId')
  async file(@CurrentAccount() account: AuthenticatedAccount, @Param('fileId') fileId: string) {
    return fileObject(await this.files.file(account.accountId, fileId));
  }

  @Get(':fileId/content')
  async content(@CurrentAccount() account: AuthenticatedAccount, @Param('fileId') fileId: string) {
    const { row, stream } = await this.files.content(account.accountId, fileId);
    return new StreamableFile(stream, { type: row.mimeType, length: row.bytes, disposition: attachmentOf(row.fileName) });
  }

  /** Refused by name rather than with a bare 404 for the route (another account's file is still 404). */
  @Delete(':fileId')
  async remove(@CurrentAccount() account: AuthenticatedAccount, @Param('fileId') fileId: string): Promise<never> {
    await this.files.file(account.accountId, fileId);
    throw new RequestError(400, 'file_deletion_unsupported', `file ${fileId} is kept: Sluice does not delete files yet`);
  }
}
