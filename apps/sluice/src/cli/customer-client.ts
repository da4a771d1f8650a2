import { createReadStream, createWriteStream, renameSync, rmSync, statSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { basename } from 'node:path';
import { PassThrough, Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ApiError } from './admin-client';
import { withDefaultModel } from './with-model';

export interface TaskCounts {
  submitted: number;
  queued: number;
  running: number;
  completed: number;
  failed: number;
}
/** `GET /v0/infer/task/{id}`: a JSONL task (counts, `output_url`) or an inline one (a page of objects). */
export interface TaskView {
  status: string;
  task_id: string;
  total_items: number;
  counts?: TaskCounts;
  completed_items?: number;
  failed_items?: number;
  output_url?: string;
  output_file_id?: string;
  objects?: Array<Record<string, unknown>>;
  has_more?: boolean;
  next?: string | null;
}
export interface TaskSummary {
  task_id: string;
  status: string;
  total_items: number;
  counts: TaskCounts;
  output_format: string;
  file_id: string | null;
  created_at: string;
  cancelled_at: string | null;
}
export interface FileView {
  file_id: string;
  file_name: string;
  bytes: number;
  items: number;
  format: string | null;
}
export interface UsageReport {
  start_time: string;
  end_time: string;
  group_by: 'model' | 'day';
  data: Array<{ model?: string; day?: string; requests: number; input_tokens: number; output_tokens: number; total_tokens: number; cost_usd: number }>;
  total: { requests: number; input_tokens: number; output_tokens: number; total_tokens: number; cost_usd: number };
}

export const FINISHED = new Set(['completed', 'failed', 'cancelled']);

/** Counts bytes as they pass. */
function counter(onBytes: (total: number) => void): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      total += chunk.length;
      onBytes(total);
      done(null, chunk);
    },
  });
}

async function errorOf(status: number, text: string): Promise<ApiError> {
  try {
    const json = JSON.parse(text) as { error?: { code?: string; message?: string } };
    return new ApiError(status, json.error?.code ?? 'http_error', json.error?.message ?? `HTTP ${status}`);
  } catch {
    return new ApiError(status, 'http_error', `HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}`);
  }
}

/** The customer's side of the API, with their key. Uploads and downloads stream: a file is never held in memory. */
export class SluiceClient {
  constructor(
    readonly baseUrl: string,
    private readonly key: string,
  ) {}

  private get auth() {
    return { authorization: `Bearer ${this.key}` };
  }

  private async call(method: string, path: string, init: { query?: Record<string, string | number | undefined>; body?: unknown; headers?: Record<string, string> } = {}): Promise<Response> {
    const url = new URL(path, `${this.baseUrl}/`);
    for (const [k, v] of Object.entries(init.query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    try {
      return await fetch(url, {
        method,
        headers: { ...this.auth, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
    } catch (err) {
      throw new ApiError(0, 'unreachable', `cannot reach Sluice at ${this.baseUrl}: ${(err as Error).cause ?? (err as Error).message}`);
    }
  }

  async json<T>(method: string, path: string, init: { query?: Record<string, string | number | undefined>; body?: unknown; headers?: Record<string, string> } = {}): Promise<T> {
    const res = await this.call(method, path, init);
    const text = await res.text();
    if (!res.ok) throw await errorOf(res.status, text);
    return (text ? JSON.parse(text) : {}) as T;
  }

  balance = () => this.json<{ current_balance_usd: number }>('GET', '/v1/balance');
  usage = (query: { start_time?: string; end_time?: string; group_by?: string }) => this.json<UsageReport>('GET', '/v1/usage', { query });
  tasks = (query: { limit?: number; after?: string; status?: string }) => this.json<{ tasks: TaskSummary[]; has_more: boolean; next: string | null }>('GET', '/v0/infer/tasks', { query });
  task = (taskId: string, query: { limit?: number; after?: string } = {}) => this.json<TaskView>('GET', `/v0/infer/task/${encodeURIComponent(taskId)}`, { query });
  cancel = (taskId: string) => this.json<TaskView>('POST', `/v0/infer/task/${encodeURIComponent(taskId)}/cancel`);
  /** A file task whose results come as a JSONL file (`output_url`). */
  submitFile = (fileId: string, sla: number | null) =>
    this.json<{ status: string; task_id: string; total_items: number }>('POST', '/v0/infer/', { body: [{ file_id: fileId, sla }], headers: { 'output-format': 'jsonl' } });

  /**
   * `PUT /v0/files/{name}` with the file as a raw `application/jsonl` body, read from disk as it
   * is sent (through `--model`'s line rewrite when asked); `onBytes` hears the bytes read so far.
   */
  async upload(path: string, options: { name?: string; model?: string; onBytes?: (sent: number) => void } = {}): Promise<FileView> {
    const size = statSync(path).size;
    const url = new URL(`/v0/files/${encodeURIComponent(options.name ?? basename(path))}`, `${this.baseUrl}/`);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, {
      method: 'PUT',
      headers: { ...this.auth, 'content-type': 'application/jsonl', ...(options.model ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(size) }) },
    });
    const source = createReadStream(path, { highWaterMark: 256 * 1024 });
    const stages: Array<Readable | Transform> = [source, counter((n) => options.onBytes?.(n))];
    if (options.model) stages.push(withDefaultModel(options.model));
    const answered = new Promise<IncomingMessage>((resolve, reject) => {
      req.once('response', resolve);
      req.once('error', reject);
    });
    const sent = pipeline([...stages, req] as unknown as [Readable, Writable]).then(
      () => null,
      (err: Error) => err,
    );
    let res: IncomingMessage;
    try {
      res = await answered;
    } catch (err) {
      source.destroy();
      throw new ApiError(0, 'unreachable', `upload to ${this.baseUrl} failed: ${(err as Error).message}`);
    }
    let text = '';
    res.setEncoding('utf8');
    for await (const chunk of res) text += chunk;
    const status = res.statusCode ?? 0;
    if (status >= 400) {
      source.destroy();
      throw await errorOf(status, text);
    }
    const sendError = await sent;
    if (sendError) throw new ApiError(0, 'upload_failed', `upload failed: ${sendError.message}`);
    return JSON.parse(text) as FileView;
  }

  /**
   * Streams a task's results to `dest` (`-` for stdout): a JSONL task's output file, or an inline
   * task's objects page by page as one JSON line each. Written to `dest.part`, renamed when whole.
   */
  async download(task: TaskView, dest: string, onBytes?: (received: number, total: number | null) => void): Promise<{ bytes: number; lines: number | null }> {
    const out: Writable = dest === '-' ? new PassThrough() : createWriteStream(`${dest}.part`);
    if (dest === '-') (out as PassThrough).pipe(process.stdout);
    let bytes = 0;
    let lines: number | null = null;
    try {
      if (task.output_url) {
        const res = await this.call('GET', task.output_url);
        if (!res.ok || !res.body) throw await errorOf(res.status, await res.text());
        const total = Number(res.headers.get('content-length')) || null;
        await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), counter((n) => { bytes = n; onBytes?.(n, total); }), out);
      } else {
        lines = 0;
        const page = (after?: string) => this.task(task.task_id, { limit: 1000, after });
        async function* objects() {
          let after: string | undefined;
          for (;;) {
            const current = await page(after);
            for (const o of current.objects ?? []) {
              const line = `${JSON.stringify({ key: o.key, object_id: o.object_id, status: o.status, output: o.output ?? null, error: o.error ?? null })}\n`;
              lines! += 1;
              yield line;
            }
            if (!current.has_more || !current.next) return;
            after = current.next;
          }
        }
        await pipeline(Readable.from(objects()), counter((n) => { bytes = n; }), out);
      }
      if (dest !== '-') renameSync(`${dest}.part`, dest);
    } catch (err) {
      if (dest !== '-') rmSync(`${dest}.part`, { force: true });
      throw err;
    }
    return { bytes, lines };
  }
}
