import type { NestFastifyApplication } from '@nestjs/platform-fastify';

const UPLOAD_PATH = /^\/v0\/files(\/|$|\?)/;
/** OpenAI's upload (`POST /v1/files`, multipart as its SDKs send it). */
const OPENAI_UPLOAD_PATH = /^\/v1\/files\/?($|\?)/;

/**
 * Leaves upload bodies unread so the files controller streams them (request.raw) into the blob
 * store instead of Fastify buffering them: every content type without a parser of its own
 * (multipart, octet-stream, application/jsonl, text/plain, none). Elsewhere such a body is still
 * refused with 415, as before.
 */
export function registerUploadParsers(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addContentTypeParser('*', (request, _payload, done) => {
    if ((request.method === 'PUT' && UPLOAD_PATH.test(request.url)) || (request.method === 'POST' && OPENAI_UPLOAD_PATH.test(request.url))) {
      done(null, undefined);
      return;
    }
    const error = Object.assign(new Error(`Unsupported Media Type: ${request.headers['content-type'] ?? 'none'}`), { statusCode: 415 });
    done(error, undefined);
  });
}
