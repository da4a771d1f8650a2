import { Controller, Delete, Get, HttpCode, Param, Post, Query, Req, StreamableFile, UseGuards } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AuthenticatedAccount } from '../accounts/accounts.repository';
import { AccountAuthGuard, CurrentAccount } from '../accounts/auth.guards';
import { attachmentOf } from '../files/files.controller';
import { FilesService } from '../files/files.service';
import { fileObject, listObject } from './openai-batch.view';
import { checkUploadPurpose, ListFilesQuerySchema, parseOpenAi } from './openai-request';

/**
 * OpenAI's Files API over Sluice's file store: the same upload pipeline, owner checks and
 * downloads as `/v0/files`, in OpenAI's file object. Only batch inputs are uploaded here.
 */
@Controller('v1/files')
@UseGuards(AccountAuthGuard)
export class OpenAiFilesController {
  constructor(private readonly files: FilesService) {}

  @Post()
  @HttpCode(200)
  async upload(@CurrentAccount() account: AuthenticatedAccount, @Req() request: FastifyRequest) {
    return fileObject(await this.files.upload(account.accountId, null, request.raw, checkUploadPurpose));
  }

  @Get()
  async list(@CurrentAccount() account: AuthenticatedAccount, @Query() query: unknown) {
    const { purpose, after, limit = 100, order = 'desc' } = parseOpenAi(ListFilesQuerySchema, query);
    const purposes = purpose === 'batch' ? (['input'] as const) : purpose === 'batch_output' ? (['output', 'error'] as const) : undefined;
    const { rows, hasMore } = await this.files.list(account.accountId, { purposes, after, limit, order });
    return listObject(rows.map(fileObject), hasMore);
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

  /** OpenAI's deletion answer; the file is deleted as by `DELETE /v0/files/{id}`. */
  @Delete(':fileId')
  async remove(@CurrentAccount() account: AuthenticatedAccount, @Param('fileId') fileId: string) {
    const row = await this.files.delete(account.accountId, fileId);
    return { id: row.fileId, object: 'file' as const, deleted: true };
  }
}
