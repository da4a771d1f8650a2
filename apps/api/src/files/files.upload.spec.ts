import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServiceHarness, TEST_ADMIN_KEY, type ServiceHarness } from '@sluice/testing';
import { apiService } from '../service';

jest.setTimeout(60_000);

const BOUNDARY = 'XYZ';
const MULTIPART = `multipart/form-data; boundary=${BOUNDARY}`;
const partHead = (fileName: string) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\n\r\n`;
const LINE = '{"key":"a","request":{"contents":[{"parts":[{"text":"hi"}]}],"model":"qwen-7b"}}';

let dataDir: string;
let harness: ServiceHarness;
let account: { account_id: string; api_key: string };

async function call(method: string, path: string, key: string, body?: string, contentType?: string) {
  const res = await fetch(`${harness.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(contentType ? { 'content-type': contentType } : {}) },
    body,
    // A crashed or stuck upload fails here instead of at jest's timeout.
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Everything the blob store holds for the account, temp files of unfinished puts included. */
function accountBlobs(): string[] {
  const dir = join(dataDir, 'blobs', 'files', account.account_id);
  return existsSync(dir) ? readdirSync(dir, { recursive: true, encoding: 'utf8' }) : [];
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'sluice-api-upload-'));
  harness = await startServiceHarness(apiService, { market: false, http: true, dataDir });
  const created = await call('POST', '/v0/admin/accounts', TEST_ADMIN_KEY, JSON.stringify({ name: 'uploads' }), 'application/json');
  expect(created.status).toBe(201);
  account = created.body;
});

afterAll(async () => {
  await harness?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('PUT /v0/files/{name} with a broken multipart body', () => {
  it.each([
    ['cut short inside the file part', `${partHead('a.jsonl')}{"key":"a"`],
    ['whose file part is whole but the closing boundary never comes', `${partHead('a.jsonl')}${LINE}\r\n--${BOUNDARY}`],
  ])('answers 400 invalid_multipart for a body %s, keeps serving and keeps no blob', async (_case, body) => {
    const res = await call('PUT', '/v0/files/tr.jsonl', account.api_key, body, MULTIPART);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { type: 'invalid_request_error', code: 'invalid_multipart', message: expect.stringContaining('Unexpected end of form') } });
    expect(accountBlobs()).toEqual([]);

    // The process is alive and the same account can still upload.
    const good = await call('PUT', '/v0/files/good.jsonl', account.api_key, `${partHead('good.jsonl')}${LINE}\r\n--${BOUNDARY}--\r\n`, MULTIPART);
    expect(good.status).toBe(200);
    expect(good.body).toMatchObject({ file_name: 'good.jsonl', items: 1, format: 'sluice' });
    expect(accountBlobs().filter((name) => name.endsWith('.partial'))).toEqual([]);
    expect(accountBlobs()).toContain(good.body.file_id);
    await harness.blobs.delete(`files/${account.account_id}/${good.body.file_id}`);
  });

  it('keeps no blob of a multipart upload whose client goes away mid-body, and keeps serving', async () => {
    const { hostname, port } = new URL(harness.url!);
    const head = partHead('gone.jsonl');
    const socket = connect(Number(port), hostname);
    await new Promise((resolve) => socket.once('connect', resolve));
    // Announces far more than it sends, so the server is mid-body when the connection drops.
    socket.write(
      `PUT /v0/files/gone.jsonl HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${account.api_key}\r\n` +
        `Content-Type: ${MULTIPART}\r\nContent-Length: 1000000\r\n\r\n${head}${LINE}\n`,
    );
    expect(await until(() => accountBlobs().some((name) => name.endsWith('.partial')))).toBe(true);
    socket.destroy();
    await until(() => accountBlobs().length === 0);
    expect(accountBlobs()).toEqual([]);
    expect((await call('GET', '/v1/balance', account.api_key)).status).toBe(200);
  });
});

async function until(done: () => boolean, timeoutMs = 10_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!done() && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 20));
  return done();
}
