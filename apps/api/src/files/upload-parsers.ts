import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { RequestError } from '../errors/api-error';

const UPLOAD_PATH = /^\/v0\/files(\/|$|\?)/;
const JSON_UPLOAD =
  'an upload is the file itself, not JSON: send it as multipart/form-data (curl -F file=@data.jsonl) or as a raw body with Content-Type application/jsonl or application/octet-stream';
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
  // Fastify would parse a JSON body before the upload sees it, which then reads nothing.
  fastify.addHook('preParsing', (request, _reply, payload, done) => {
    const json = /^application\/json\s*(;|$)/i.test(request.headers['content-type'] ?? '');
    done(request.method === 'PUT' && UPLOAD_PATH.test(request.url) && json ? new RequestError(415, 'unsupported_media_type', JSON_UPLOAD) : null, payload);
  });
  fastify.addContentTypeParser('*', (request, _payload, done) => {
    if ((request.method === 'PUT' && UPLOAD_PATH.test(request.url)) || (request.method === 'POST' && OPENAI_UPLOAD_PATH.test(request.url))) {
      done(null, undefined);
      return;
    }
    const error = Object.assign(new Error(`Unsupported Media Type: ${request.headers['content-type'] ?? 'none'}`), { statusCode: 415 });
    done(error, undefined);
  });
}
