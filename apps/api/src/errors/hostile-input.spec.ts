import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Catalogue as Events, createEvent } from '@sluice/events';
import { startServiceHarness, TEST_ADMIN_KEY, type ServiceHarness } from '@sluice/testing';
import { apiService } from '../service';

jest.setTimeout(60_000);

/** Issue #23: input a hostile user sends gets a 4xx in the error envelope, never a 5xx or Fastify's own shape. */
let dataDir: string;
let harness: ServiceHarness;
let account: { account_id: string; api_key: string };

async function call(method: string, path: string, key: string, body?: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${harness.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined && !headers['content-type'] ? { 'content-type': 'application/json' } : {}), ...headers },
    body,
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // a download
  }
  return { status: res.status, body: parsed as { error: { type: string; code: string; message: string; fields?: { field: string }[] } }, text, headers: res.headers };
}

/** Writes raw bytes and reads the answer: what fetch will not send (an oversized header block, a false Content-Length). */
function raw(request: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const { port } = new URL(String(harness.url));
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(request));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      answer += chunk;
      const [head, body] = answer.split('\r\n\r\n');
      const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? NaN);
      if (body !== undefined && Buffer.byteLength(body) >= length) {
        socket.destroy();
        resolve({ status: Number(head.split(' ')[1]), body: JSON.parse(body) });
      }
    });
    socket.on('error', reject);
  });
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'sluice-api-hostile-'));
  harness = await startServiceHarness(apiService, { market: false, http: true, dataDir });
  const created = await call('POST', '/v0/admin/accounts', TEST_ADMIN_KEY, JSON.stringify({ name: 'hostile' }));
  expect(created.status).toBe(201);
  account = created.body as unknown as typeof account;
});

afterAll(async () => {
  await harness?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('a NUL in a path id', () => {
  it.each([
    ['GET', '/v0/infer/task/%00', 'path.taskId'],
    ['GET', '/v0/infer/task/%00/', 'path.taskId'],
    ['GET', '/v0/infer/object/a%00b', 'path.objectId'],
    ['GET', '/v0/files/%00', 'path.fileId'],
    ['GET', '/v0/files/%00/content', 'path.fileId'],
    ['GET', '/v1/inference/%00', 'path.id'],
    ['POST', '/v1/api-keys/%00/deactivate', 'path.keyId'],
  ])('%s %s answers 422 naming %s', async (method, path, field) => {
    const res = await call(method, path, account.api_key);
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'validation_error', fields: [{ field }] });
  });

  it('in an admin credit answers 422 too; an account id that is no UUID is 404', async () => {
    expect((await call('POST', '/v0/admin/accounts/%00/credit', TEST_ADMIN_KEY, JSON.stringify({ amount_usd: 1 }))).status).toBe(422);
    const notUuid = await call('POST', '/v0/admin/accounts/abc/credit', TEST_ADMIN_KEY, JSON.stringify({ amount_usd: 1 }));
    expect(notUuid.status).toBe(404);
    expect(notUuid.body.error.code).toBe('not_found');
  });
});

describe('a NUL in a body id', () => {
  it('answers a file_id holding a NUL with 422 naming it, and submits nothing', async () => {
    const res = await call('POST', '/v0/infer/', account.api_key, JSON.stringify([{ file_id: 'a\u0000b', sla: 60 }]));
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'validation_error', fields: [{ field: 'items[0].file_id' }] });
  });
});

describe('text PostgreSQL cannot store in an admin body', () => {
  // Found by schemathesis: both were a 500 from the database.
  it.each([
    ['an account name', '/v0/admin/accounts', { name: 'a\u0000b' }, 'name'],
    ['a lone surrogate in an account name', '/v0/admin/accounts', { name: 'a\ud800b' }, 'name'],
    ['a credit reference', 'credit', { amount_usd: 1, reference: 'ref\u0000' }, 'reference'],
  ])('%s answers 422 naming the field', async (_, path, body, field) => {
    const url = path === 'credit' ? `/v0/admin/accounts/${account.account_id}/credit` : path;
    const res = await call('POST', url, TEST_ADMIN_KEY, JSON.stringify(body));
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'validation_error', fields: [{ field }] });
  });
});

describe('amounts below one micro-dollar', () => {
  it('refuses an admin credit of 1e-9 and an account opened with credit_usd 1e-7, instead of crediting 0', async () => {
    const credit = await call('POST', `/v0/admin/accounts/${account.account_id}/credit`, TEST_ADMIN_KEY, JSON.stringify({ amount_usd: 1e-9 }));
    expect(credit.status).toBe(422);
    expect(credit.body.error).toMatchObject({ code: 'validation_error', fields: [{ field: 'amount_usd' }] });
    const opened = await call('POST', '/v0/admin/accounts', TEST_ADMIN_KEY, JSON.stringify({ name: 'dust', credit_usd: 1e-7 }));
    expect(opened.status).toBe(422);
    expect(opened.body.error.message).toContain('one micro-dollar');
  });
});

describe("Fastify's own refusals, in the error envelope", () => {
  it('400 for a path that does not decode, 414 for a path segment too long, 415 for a body of an unknown type', async () => {
    const badUrl = await call('GET', '/v0/infer/task/%ED%A0%80', account.api_key);
    expect(badUrl).toMatchObject({ status: 400, body: { error: { type: 'invalid_request_error', code: 'invalid_request' } } });
    const long = await call('GET', `/v0/infer/task/${'a'.repeat(3000)}`, account.api_key);
    expect(long.status).toBe(414);
    expect(long.body.error).toEqual({ type: 'invalid_request_error', code: 'uri_too_long', message: 'a segment of the path is longer than 100 characters' });
    const xml = await call('POST', '/v0/infer/', account.api_key, '<a/>', { 'content-type': 'text/xml' });
    expect(xml).toMatchObject({ status: 415, body: { error: { type: 'invalid_request_error', code: 'unsupported_media_type' } } });
  });

  it('413 for a body over the limit and 431 for headers over it', async () => {
    const tooLarge = await raw(`POST /v0/infer/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${account.api_key}\r\nContent-Type: application/json\r\nContent-Length: ${100 * 1024 * 1024}\r\n\r\n[`);
    expect(tooLarge).toMatchObject({ status: 413, body: { error: { type: 'invalid_request_error', code: 'payload_too_large' } } });
    const bigHeaders = await raw(`GET /v1/balance HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(bigHeaders).toMatchObject({ status: 431, body: { error: { type: 'invalid_request_error', code: 'headers_too_large' } } });
  });
});

describe('downloading a file whose name is not ASCII', () => {
  const LINE = '{"key":"a","request":{"contents":[{"parts":[{"text":"hi"}]}],"model":"qwen-7b"}}\n';
  const disposition = (name: string) => `attachment; filename="${name.replace(/[^\x20-\x7e]/gu, '_')}"; filename*=UTF-8''${encodeURIComponent(name)}`;

  it.each([['an emoji', 'report 😀.jsonl'], ['DEL', 'a\u007fb.jsonl'], ['U+202E', 'evil\u202elnosj.exe']])('%s: 200 with filename*=UTF-8 and an ASCII fallback', async (_, name) => {
    const up = await call('PUT', `/v0/files/${encodeURIComponent(name)}`, account.api_key, LINE, { 'content-type': 'application/jsonl' });
    expect([up.status, up.body]).toEqual([200, expect.objectContaining({ file_name: name })]);
    const download = await call('GET', `/v0/files/${(up.body as unknown as { file_id: string }).file_id}/content`, account.api_key);
    expect(download.status).toBe(200);
    expect(download.text).toBe(LINE);
    expect(download.headers.get('content-disposition')).toBe(disposition(name));
    // The same file through OpenAI's Files API.
    const openai = await call('GET', `/v1/files/${(up.body as unknown as { file_id: string }).file_id}/content`, account.api_key);
    expect([openai.status, openai.text]).toEqual([200, LINE]);
    expect(openai.headers.get('content-disposition')).toBe(disposition(name));
  });

  it('keeps a multipart filename in UTF-8, as curl -F and browsers send it', async () => {
    const form = new FormData();
    form.append('file', new Blob([LINE]), 'données 😀.jsonl');
    const res = await fetch(`${harness.url}/v0/files/`, { method: 'PUT', headers: { authorization: `Bearer ${account.api_key}` }, body: form });
    expect(await res.json()).toMatchObject({ file_name: 'données 😀.jsonl' });
  });
});

describe('the smaller breaks of issue #23', () => {
  it('answers "Bearer <key> extra" with what is wrong with the header, not "missing API key"', async () => {
    const res = await call('GET', '/v1/balance', '', undefined, { authorization: `Bearer ${account.api_key} extra` });
    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({ code: 'unauthorized', message: expect.stringContaining('more than "Bearer <key>"') });
    expect((await call('GET', '/v1/balance', account.api_key)).status).toBe(200);
  });

  it('refuses the file names . and .. (in the path or in the multipart part)', async () => {
    for (const name of ['.', '..']) {
      const inPath = await raw(`PUT /v0/files/${name} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${account.api_key}\r\nContent-Type: application/jsonl\r\nContent-Length: 2\r\n\r\n{}`);
      expect(inPath).toMatchObject({ status: 400, body: { error: { code: 'invalid_file_name' } } });
      const form = new FormData();
      form.append('file', new Blob(['{}\n']), name);
      const inPart = await fetch(`${harness.url}/v0/files/`, { method: 'PUT', headers: { authorization: `Bearer ${account.api_key}` }, body: form });
      expect([inPart.status, ((await inPart.json()) as { error: { code: string } }).error.code]).toEqual([400, 'invalid_file_name']);
    }
  });

  it('answers an upload sent as application/json with 415 unsupported_media_type saying how to send it, not empty_file', async () => {
    const res = await call('PUT', '/v0/files/data.jsonl', account.api_key, '{"key":"a","request":{}}', { 'content-type': 'application/json' });
    expect(res.status).toBe(415);
    expect(res.body.error).toMatchObject({ code: 'unsupported_media_type', message: expect.stringContaining('multipart/form-data') });
  });

  it('points output_url where the caller reached Sluice behind a TLS ingress (X-Forwarded-Proto, X-Forwarded-Host)', async () => {
    const submitted = await call('POST', '/v0/infer/', account.api_key, JSON.stringify([{ sla: 60, model: 'openai:gpt-4o', input: 'hi' }]), { 'output-format': 'jsonl' });
    const taskId = (submitted.body as unknown as { task_id: string }).task_id;
    const output = { fileId: randomUUID(), fileName: 'output.jsonl', blobKey: 'files/out', lines: 1, bytes: 10, sha256: 'a'.repeat(64) };
    await harness.bus.emit([createEvent(Events.TaskOutputReady, { ...output, taskId, accountId: account.account_id }, { correlationId: taskId })]);
    const behindIngress = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'sluice.example.com' };
    const task = await until(async () => {
      const t = await call('GET', `/v0/infer/task/${taskId}`, account.api_key, undefined, behindIngress);
      return (t.body as unknown as { output_url?: string }).output_url;
    });
    expect(task).toBe(`https://sluice.example.com/v0/files/${output.fileId}/content`);
  });
});

async function until<T>(probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined || Date.now() > deadline) return value as T;
    await new Promise((r) => setTimeout(r, 50));
  }
}

