import { Transform, type TransformCallback } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/**
 * Sets `model` on the lines of a JSONL file that name none: a seed line's `request.model`, an
 * OpenAI Batch line's `body.model`. Other lines (blank, broken, already naming a model) pass
 * unchanged, so the server still reports them by line number. Streams line by line.
 */
export function withDefaultModel(model: string): Transform {
  let rest = '';
  const decoder = new StringDecoder('utf8');
  const fix = (line: string): string => {
    if (!line.trim()) return line;
    try {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      const target = (parsed?.body ?? parsed?.request) as Record<string, unknown> | undefined;
      if (!target || typeof target !== 'object' || Array.isArray(target) || target.model !== undefined) return line;
      target.model = model;
      return JSON.stringify(parsed);
    } catch {
      return line;
    }
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      const lines = (rest + decoder.write(chunk)).split('\n');
      rest = lines.pop() ?? '';
      done(null, lines.length ? `${lines.map(fix).join('\n')}\n` : undefined);
    },
    flush(done: TransformCallback) {
      rest += decoder.end();
      done(null, rest ? fix(rest) : undefined);
    },
  });
}
