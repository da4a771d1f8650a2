import { Controller, Get, Header } from '@nestjs/common';
import { buildOpenApiDocument } from './openapi.document';
import { DOCS_PAGE } from './docs.page';

/** The API's description, for people (`/docs`) and for tools (`/openapi.json`); no key needed. */
@Controller()
export class OpenApiController {
  private readonly document = buildOpenApiDocument();

  @Get('openapi.json')
  openapi(): object {
    return this.document;
  }

  @Get('docs')
  @Header('content-type', 'text/html; charset=utf-8')
  docs(): string {
    return DOCS_PAGE;
  }
}
