import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from './http';
import { callAt, openAccountAt } from './realtime.scenario';
import { startEmbeddedForTest, type TestEngine } from './test-engine';

jest.setTimeout(120_000);

const ADMIN_KEY = 'sk_admin_e2e_generation_params_0123456789';
const CAPTURE_KEY = 'sk-capture-provider';

/** What every route below asks for, as OpenAI's chat completions spell it. */
const WIRE = { temperature: 1.3, top_p: 0.5, stop: ['END'], seed: 3, presence_penalty: 0.1, frequency_penalty: 0.2, response_format: { type: 'json_object' } };

/**
 * An OpenAI-compatible provider that keeps every request body it receives and answers with
 * token counts of its own (not what Sluice estimated).
 */
async function captureProvider(): Promise<{ server: Server; url: string; bodies: Record<string, unknown>[] }> {
  const bodies: Record<string, unknown>[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      if (req.headers.authorization !== `Bearer ${CAPTURE_KEY}`) {
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'bad key', type: 'invalid_request_error', code: 'invalid_api_key' } }));
        return;
      }
      bodies.push(JSON.parse(raw) as Record<string, unknown>);
      const completion = { id: `c${bodies.length}`, object: 'chat.completion', created: 1, model: 'echo-1', choices: [{ index: 0, message: { role: 'assistant', content: '{"ok": true}' }, finish_reason: 'stop' }], usage: { prompt_tokens: 321, completion_tokens: 5, total_tokens: 326 } };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(completion));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, bodies };
}

/** The demo catalogue plus one model served only by the capture provider, at a real base URL. */
function catalogueWithCapture(url: string): string {
  const demo = JSON.parse(readFileSync('config/catalogue.demo.json', 'utf8')) as { models: unknown[]; providers: unknown[] };
  const price = { inputMicrosPerMillion: 1_000_000, outputMicrosPerMillion: 1_000_000 };
  const catalogue = {
    ...demo,
    models: [...demo.models, { id: 'capture:echo', aliases: ['capture-echo'], contextTokens: 32_000, maxOutputTokens: 4_096, tokenizer: 'cl100k_base', basePrice: price }],
    providers: [
      ...demo.providers,
      { id: 'capture', name: 'Capture', baseUrl: url, apiKeyEnv: 'CAPTURE_API_KEY', models: [{ model: 'capture:echo', providerModel: 'echo-1', price }], latency: { ttftMs: 50, perOutputTokenMs: 1 }, rateLimits: { rpm: 10_000, tpm: 10_000_000 }, reliability: 0.99 },
    ],
  };
  const path = join(mkdtempSync(join(tmpdir(), 'sluice-params-')), 'catalogue.json');
  writeFileSync(path, JSON.stringify(catalogue));
  return path;
}

describe('generation parameters reach the provider from every route, as its API spells them', () => {
  let engine: TestEngine;
  let capture: Awaited<ReturnType<typeof captureProvider>>;
  let base: string;

  beforeAll(async () => {
    capture = await captureProvider();
    engine = await startEmbeddedForTest({ name: 'params', adminKey: ADMIN_KEY, env: { SLUICE_TIME_SCALE: '1', SLUICE_CATALOGUE: catalogueWithCapture(capture.url), CAPTURE_API_KEY: CAPTURE_KEY } });
    base = engine.sluice.url;
  });
  afterAll(async () => {
    await engine?.stop();
    await new Promise((resolve) => capture?.server.close(resolve));
  });

  const received = (n: number) => until(`${n} provider call(s)`, async () => (capture.bodies.length >= n ? capture.bodies.slice(-1)[0] : undefined), 30_000);

  it('an inline SLA-API item', async () => {
    const { key } = await openAccountAt(base, ADMIN_KEY, 'inline', 1);
    const sent = capture.bodies.length;
    const reply = await callAt(base, 'POST', '/v0/infer/', key, [{ model: 'capture-echo', input: 'inline item', max_output_tokens: 77, ...WIRE }]);
    expect(reply.status).toBe(200);
    expect(await received(sent + 1)).toEqual({ model: 'echo-1', messages: [{ role: 'user', content: 'inline item' }], max_tokens: 77, ...WIRE });
  });

  it.each([
    [
      'a seed-format (Gemini-style) file line',
      { key: 'g1', request: { model: 'capture-echo', system_instruction: { parts: [{ text: 'be terse' }] }, contents: [{ role: 'user', parts: [{ text: 'line' }] }], generation_config: { temperature: 1.3, top_p: 0.5, stop_sequences: ['END'], seed: 3, presence_penalty: 0.1, frequency_penalty: 0.2, response_mime_type: 'application/json', max_output_tokens: 77 } } },
      [{ role: 'system', content: 'be terse' }, { role: 'user', content: 'line' }],
    ],
    [
      'an OpenAI Batch file line',
      { custom_id: 'o1', method: 'POST', url: '/v1/chat/completions', body: { model: 'capture-echo', messages: [{ role: 'system', content: 'be terse' }, { role: 'user', content: 'line' }], max_tokens: 77, ...WIRE } },
      [{ role: 'system', content: 'be terse' }, { role: 'user', content: 'line' }],
    ],
  ])('%s', async (_what, line, messages) => {
    const { key } = await openAccountAt(base, ADMIN_KEY, `file-${Object.keys(line)[0]}`, 1);
    const res = await fetch(`${base}/v0/files/params.jsonl`, { method: 'PUT', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/jsonl' }, body: `${JSON.stringify(line)}\n` });
    expect(res.status).toBe(200);
    const file = (await res.json()) as { file_id: string };
    const sent = capture.bodies.length;
    const task = await callAt(base, 'POST', '/v0/infer/', key, [{ file_id: file.file_id }]);
    expect(task.status).toBe(200);
    expect(await received(sent + 1)).toEqual({ model: 'echo-1', messages, max_tokens: 77, ...WIRE });
  });

  it.each([
    ['POST /v1/inference', '/v1/inference', { input: 'real time', max_output_tokens: 77 }],
    ['POST /v1/chat/completions', '/v1/chat/completions', { messages: [{ role: 'user', content: 'real time' }], max_tokens: 77 }],
  ])('%s', async (_what, path, body) => {
    const { key } = await openAccountAt(base, ADMIN_KEY, `rt-${path}`, 1);
    const sent = capture.bodies.length;
    const reply = await callAt<{ usage?: { input_tokens: number }; billing?: { input_tokens: number } }>(base, 'POST', path, key, { model: 'capture-echo', ...body, ...WIRE, user: 'end-user-1' });
    expect(reply.status).toBe(200);
    expect(await received(sent + 1)).toEqual({ model: 'echo-1', messages: [{ role: 'user', content: 'real time' }], max_tokens: 77, ...WIRE, user: 'end-user-1' });
    // Billed on the provider's own count (321 prompt tokens), not on Sluice's estimate.
    expect(reply.body.billing?.input_tokens).toBe(321);
  });
});
