import { Controller, Delete, Get, HttpCode, Param, Put, Query, Req, StreamableFile, UseGuards } from '@nestjs/common';
import { toStorableText } from '@sluice/events';
import type { FastifyRequest } from 'fastify';
import type { AuthenticatedAccount } from '../accounts/accounts.repository';
import { AccountAuthGuard, CurrentAccount } from '../accounts/auth.guards';
import { parseBody } from '../errors/parse-body';
import { DEFAULT_PAGE_LIMIT, ListFilesV0QuerySchema } from '../infer/list-queries';
import { fileView } from './file.projection';
import { FilesService } from './files.service';

/**
 * The seed's file upload and, beyond it, metadata and download. Downloads (also a task's
 * `output_url`) need the owner's key: `Authorization: Bearer <key>`.
 */
@Controller('v0/files')
@UseGuards(AccountAuthGuard)
export class FilesController {
  constructor(private readonly files: FilesService) {}

  @Put(':name')
  @HttpCode(200)
  async upload(@CurrentAccount() account: AuthenticatedAccount, @Param('name') name: string, @Req() request: FastifyRequest) {
    return fileView(await this.files.upload(account.accountId, name, request.raw));
  }

  /** `PUT /v0/files/` with a multipart body: the part's filename names the file. */
  @Put()
  @HttpCode(200)
  async uploadNamedByPart(@CurrentAccount() account: AuthenticatedAccount, @Req() request: FastifyRequest) {
    return fileView(await this.files.upload(account.accountId, null, request.raw));
  }

  /** Newest first; `after`: the last file of the previous page. */
  @Get()
  async list(@CurrentAccount() account: AuthenticatedAccount, @Query() query: unknown) {
    const { limit = DEFAULT_PAGE_LIMIT, after } = parseBody(ListFilesV0QuerySchema, query, 'query');
    const { rows, hasMore } = await this.files.list(account.accountId, { limit, after, order: 'desc' });
    return { files: rows.map(fileView), has_more: hasMore, next: hasMore ? rows[rows.length - 1].fileId : null };
  }

  @Get(':fileId')
  async file(@CurrentAccount() account: AuthenticatedAccount, @Param('fileId') fileId: string) {
    return fileView(await this.files.file(account.accountId, fileId));
  }

  @Get(':fileId/content')
  async content(@CurrentAccount() account: AuthenticatedAccount, @Param('fileId') fileId: string) {
    const { row, stream } = await this.files.content(account.accountId, fileId);
    return new StreamableFile(stream, { type: row.mimeType, length: row.bytes, disposition: attachmentOf(row.fileName) });
  }

  @Delete(':fileId')
  async remove(@CurrentAccount() account: AuthenticatedAccount, @Param('fileId') fileId: string) {
    const row = await this.files.delete(account.accountId, fileId);
    return { file_id: row.fileId, deleted: true };
  }
}

/**
 * `Content-Disposition` for any file name: a header carries only printable ASCII, so the name
 * goes as RFC 5987 `filename*` (UTF-8, percent-encoded) with an ASCII `filename` for old clients.
 */
export function attachmentOf(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/gu, '_');
  const utf8 = encodeURIComponent(toStorableText(fileName)).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${utf8}`;
}
