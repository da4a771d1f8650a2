import busboy from 'busboy';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { RequestError } from '../errors/api-error';

/** The bytes of an upload, whichever way they came, still streaming. */
export interface UploadSource {
  stream: Readable;
  /** The multipart part's filename, when the body is multipart. */
  fileName: string | null;
  mimeType: string | null;
}

const isMultipart = (contentType: string) => contentType.toLowerCase().startsWith('multipart/form-data');

/**
 * `-F file=@data.jsonl` (multipart: the first file part, parsed as it streams) or a raw body
 * (`--data-binary @data.jsonl` / `-T data.jsonl` with any non-JSON content type).
 */
export function uploadSource(request: IncomingMessage): Promise<UploadSource> {
  const contentType = request.headers['content-type'] ?? '';
  if (!isMultipart(contentType)) return Promise.resolve({ stream: request, fileName: null, mimeType: contentType.split(';')[0].trim() || null });
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: request.headers, limits: { files: 1 } });
    } catch (err) {
      reject(new RequestError(400, 'invalid_multipart', `the multipart body cannot be read: ${(err as Error).message}`));
      return;
    }
    let found = false;
    parser.on('file', (_field, stream, info) => {
      if (found) {
        stream.resume();
        return;
      }
      found = true;
      resolve({ stream, fileName: info.filename ?? null, mimeType: info.mimeType ?? null });
    });
    parser.on('error', (err) => reject(new RequestError(400, 'invalid_multipart', `the multipart body cannot be read: ${(err as Error).message}`)));
    parser.on('close', () => {
      if (!found) reject(new RequestError(400, 'missing_file', 'the multipart body holds no file: send it as -F file=@data.jsonl'));
    });
    request.pipe(parser);
  });
}
