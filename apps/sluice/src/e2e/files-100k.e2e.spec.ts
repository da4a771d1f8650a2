import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadEmbeddedConfig } from '../config';
import { startEmbedded, type EmbeddedSluice } from '../embedded-host';
import { seedLine } from './files.scenario';

const LINES = 100_000;
jest.setTimeout(30 * 60_000);

const ADMIN_KEY = 'sk_admin_e2e_files_100k_0123456789';
const MODELS = ['qwen-7b', 'llama-3.1-8b', 'deepseek:r1-32b'];

/** The file, generated as it is sent: nothing of it is held in memory. */
function* fileLines(): Generator<string> {
  for (let i = 0; i < LINES; i += 1_000) {
    let chunk = '';
    for (let k = i; k < Math.min(LINES, i + 1_000); k++) chunk += `${seedLine(`object-${k}`, `Question ${k}: name a prime number larger than ${k}.`, MODELS[k % MODELS.length])}\n`;
    yield chunk;
  }
}

describe('a 100,000-line file end to end on the embedded engine', () => {
  let dataDir: string;
  let sluice: EmbeddedSluice;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sluice-files-100k-'));
    // A day's SLA at 600× is 144 real seconds per object: the provider batch jobs (flushed
    // after 5 simulated minutes, half a real second) finish well inside it even on a loaded
    // machine. (At 3000× with a 60-minute SLA the window was 1.2 real seconds, and a stall of
    // a few seconds under load made a handful of objects miss it.)
    sluice = await startEmbedded(
      loadEmbeddedConfig({ SLUICE_DATA_DIR: dataDir, PORT: '0', SLUICE_ADMIN_KEY: ADMIN_KEY, SLUICE_TIME_SCALE: '600', SLUICE_DEMO_LATENCY_SCALE: '0' }),
    );
  });
  afterAll(async () => {
    await sluice?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('completes every line, and the output file matches the input line for line', async () => {
    const base = sluice.url;
    const created = await fetch(`${base}/v0/admin/accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'files-100k', credit_usd: 10_000 }),
    });
    const key = ((await created.json()) as { api_key: string }).api_key;
    const auth = { authorization: `Bearer ${key}` };

    const upload = await fetch(`${base}/v0/files/big.jsonl`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/jsonl' },
      body: Readable.toWeb(Readable.from(fileLines())) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    const file = (await upload.json()) as { file_id: string; items: number };
    expect(file.items).toBe(LINES);

    const submitted = await fetch(`${base}/v0/infer/`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', 'output-format': 'jsonl' },
      body: JSON.stringify([{ file_id: file.file_id, sla: 1440 }]),
    });
    const task = (await submitted.json()) as { task_id: string; total_items: number };
    expect(task.total_items).toBe(LINES);

    let view: { status: string; completed_items: number; failed_items: number; output_url?: string };
    for (;;) {
      view = (await (await fetch(`${base}/v0/infer/task/${task.task_id}`, { headers: auth })).json()) as typeof view;
      if (view.output_url) break;
      await sleep(2_000);
    }
    expect(view).toMatchObject({ status: 'completed', completed_items: LINES, failed_items: 0 });

    const output = await fetch(view.output_url, { headers: auth });
    let n = 0;
    let rest = '';
    for await (const chunk of output.body as unknown as AsyncIterable<Uint8Array>) {
      const lines = (rest + Buffer.from(chunk).toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        const parsed = JSON.parse(line) as { key: string; output?: { type: string; text: string } };
        if (parsed.key !== `object-${n}` || parsed.output?.type !== 'text' || !parsed.output.text) throw new Error(`output line ${n + 1} is ${line}`);
        n += 1;
      }
    }
    expect(rest).toBe('');
    expect(n).toBe(LINES);
  });
});
