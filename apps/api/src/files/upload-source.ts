import busboy from 'busboy';
import type { IncomingMessage } from 'node:http';
import { finished, PassThrough, type Readable, type Writable } from 'node:stream';
import { RequestError } from '../errors/api-error';

/** The bytes of an upload, whichever way they came, still streaming. */
export interface UploadSource {
  /**
   * Multipart: ends only once the whole form has been read, and fails with a 400
   * `invalid_multipart` RequestError when it cannot be (a body cut short, a missing closing
   * boundary), whenever that is found. It always has an 'error' listener, so a failure before
   * the consumer pipes it cannot crash the process; a consumer checks `errored` when it
   * attaches (see `pipeReporting`).
   */
  stream: Readable;
  /** The multipart part's filename, when the body is multipart. */
  fileName: string | null;
  mimeType: string | null;
  /** A multipart form's other fields (e.g. OpenAI's `purpose`), all of them once `stream` has ended. */
  fields: Record<string, string>;
}

const isMultipart = (contentType: string) => contentType.toLowerCase().startsWith('multipart/form-data');

const unreadable = (err: unknown) =>
  err instanceof RequestError ? err : new RequestError(400, 'invalid_multipart', `the multipart body cannot be read: ${(err as Error).message}`);

/**
 * `-F file=@data.jsonl` (multipart: the first file part, parsed as it streams) or a raw body
 * (`--data-binary @data.jsonl` / `-T data.jsonl` with any non-JSON content type).
 */
export function uploadSource(request: IncomingMessage): Promise<UploadSource> {
  const contentType = request.headers['content-type'] ?? '';
  if (!isMultipart(contentType)) return Promise.resolve({ stream: request, fileName: null, mimeType: contentType.split(';')[0].trim() || null, fields: {} });
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: request.headers, limits: { files: 1 }, defParamCharset: 'utf8' });
    } catch (err) {
      reject(unreadable(err));
      return;
    }
    // The file part's bytes go through a stream of our own, so that the end of the part is not
    // taken for a whole upload before busboy has seen the form's closing boundary.
    const body = new PassThrough();
    body.on('error', () => {
      // Heard by the consumer through `errored` / its own listener; this one keeps an early
      // failure (before the consumer attaches) from being an unheard 'error' event.
    });
    const fields: Record<string, string> = {};
    let found = false;
    let fileEnded = false;
    let formEnded = false;
    const fail = (err: unknown) => {
      // The rest of the body is read and dropped (as Node does with a body nobody reads), so
      // the client that is still sending it gets the answer.
      request.unpipe(parser);
      if (!request.readableEnded) request.resume();
      if (found) body.destroy(unreadable(err));
      else reject(unreadable(err));
    };
    const endIfComplete = () => {
      if (fileEnded && formEnded) body.end();
    };
    parser.on('file', (_field, stream, info) => {
      if (found) {
        stream.resume();
        return;
      }
      found = true;
      // busboy destroys the part's stream with its own error when the form breaks.
      stream.on('error', fail);
      stream.on('end', () => {
        fileEnded = true;
        endIfComplete();
      });
      stream.pipe(body, { end: false });
      resolve({ stream: body, fileName: info.filename ?? null, mimeType: info.mimeType ?? null, fields });
    });
    parser.on('field', (name, value) => {
      fields[name] = value;
    });
    parser.on('error', fail);
    parser.on('finish', () => {
      formEnded = true;
      if (!found) reject(new RequestError(400, 'missing_file', 'the multipart body holds no file: send it as -F file=@data.jsonl'));
      else endIfComplete();
    });
    // A client that goes away mid-body never ends the request: without this the parser (and
    // the blob store's put reading from it) would wait for bytes that never come.
    finished(request, { writable: false }, (err) => {
      if (err && !formEnded) parser.destroy(err);
    });
    request.pipe(parser);
  });
}

/**
 * Pipes an upload source into `sink` (without ending the request if the sink stops early, so
 * the answer still reaches the client) and passes the source's failure on to the sink, also
 * one that happened before this call. The sink's reader (a blob store put, which may start
 * reading only later) meets the failure as the sink's stored error, so the sink gets a
 * listener of its own here too.
 */
export function pipeReporting<T extends Writable>(source: Readable, sink: T): T {
  sink.on('error', () => {
    // Thrown to the sink's reader from its stored error (`errored`).
  });
  source.on('error', (err) => sink.destroy(err));
  if (source.errored) sink.destroy(source.errored);
  else source.pipe(sink);
  return sink;
}
