/**
 * OpenAI batches benchmark (issue #21: a 50,000-line batch file through /v1/files and
 * /v1/batches; target: upload, and `validating` → `in_progress`, each under 10 s). With the
 * official `openai` SDK against `npm start`'s embedded engine (demo providers instant, time scale
 * 600 so the work itself does not matter here), one JSON line per run:
 * - upload: `files.create` of the whole file (multipart, streamed into the blob store);
 * - create: `batches.create` until it answers (`validating`);
 * - toInProgress: from `batches.create` until `batches.retrieve` first says `in_progress` (every
 *   line is an object, quoted and reserved for), polled every 100 ms;
 * - toCompleted (`--complete`): on until `completed`.
 *
 *   npm run bench:openai-batches -- [--lines 50000] [--runs 1] [--complete]
 */
import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import OpenAI from 'openai';
import { openAccount, prompt, round, runBenchmark, startExchange } from '../exchange/harness';
import { writeJsonlFile } from '../files/jsonl-file';

const { values: args } = parseArgs({ options: { lines: { type: 'string', default: '50000' }, runs: { type: 'string', default: '1' }, complete: { type: 'boolean', default: false } } });
const MODELS = ['qwen-7b', 'llama-3.1-8b', 'deepseek:r1-32b', 'openai:gpt-4o-mini'];

/** An OpenAI Batch file of `lines` chat requests over the demo models; returns its size. */
function writeOpenAiFile(path: string, lines: number): Promise<number> {
  return writeJsonlFile(path, lines, (i) => ({
    custom_id: `request-${i}`,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: MODELS[i % MODELS.length], messages: [{ role: 'system', content: 'Answer briefly.' }, { role: 'user', content: prompt(i) }], max_tokens: 64 },
  }));
}

const seconds = (since: number) => round((performance.now() - since) / 1000, 2);

async function main(): Promise<void> {
  const lines = Number(args.lines);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-openai-batches-'));
  const path = join(dir, 'batch.jsonl');
  const bytes = await writeOpenAiFile(path, lines);
  const ex = await startExchange({ SLUICE_TIME_SCALE: '600', SLUICE_DEMO_LATENCY_SCALE: '0', SLUICE_CLOCK_ORIGIN: '2030-01-01T09:00:00.000Z' });
  try {
    for (let run = 0; run < Number(args.runs); run++) {
      const { key } = await openAccount(ex, `bench-openai-batches-${run}`, 100_000);
      const client = new OpenAI({ apiKey: key, baseURL: `${ex.url}/v1`, maxRetries: 0, timeout: 600_000 });
      const uploadStarted = performance.now();
      const file = await client.files.create({ file: createReadStream(path), purpose: 'batch' });
      const upload = seconds(uploadStarted);
      const created = performance.now();
      const batch = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
      const create = seconds(created);
      let status = batch.status;
      while (status === 'validating') {
        await sleep(100);
        status = (await client.batches.retrieve(batch.id)).status;
      }
      const toInProgress = seconds(created);
      const result: Record<string, unknown> = { lines, bytes: statSync(path).size, upload, create, toInProgress, statusThen: status };
      if (args.complete) {
        let view = await client.batches.retrieve(batch.id);
        while (view.status !== 'completed' && view.status !== 'failed' && view.status !== 'cancelled') {
          await sleep(1000);
          view = await client.batches.retrieve(batch.id);
        }
        Object.assign(result, { toCompleted: seconds(created), requestCounts: view.request_counts });
      }
      console.log(JSON.stringify({ bench: 'openai-batches', run, fileBytes: bytes, ...result }));
    }
  } finally {
    await ex.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

runBenchmark(main);
