import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { DEMO_MODELS, prompt } from '../exchange/harness';

/** Writes `lines` JSON lines (line i is `lineOf(i)`) to `path` in 1 MiB writes; returns the file's size. */
export async function writeJsonlFile(path: string, lines: number, lineOf: (i: number) => unknown): Promise<number> {
  const out = createWriteStream(path);
  let bytes = 0;
  let buffer = '';
  for (let i = 0; i < lines; i++) {
    buffer += `${JSON.stringify(lineOf(i))}\n`;
    if (buffer.length > 1 << 20 || i === lines - 1) {
      bytes += Buffer.byteLength(buffer);
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  out.end();
  await once(out, 'finish');
  return bytes;
}

/** Writes a seed-format JSONL file of `lines` requests (keys `object-<i>`, the demo models in turn); returns its size. */
export function writeSeedFile(path: string, lines: number, models: readonly string[] = DEMO_MODELS): Promise<number> {
  return writeJsonlFile(path, lines, (i) => ({ key: `object-${i}`, request: { contents: [{ parts: [{ text: prompt(i) }] }], generation_config: { temperature: 0.7 }, model: models[i % models.length] } }));
}
