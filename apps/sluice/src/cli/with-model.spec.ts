import { Readable } from 'node:stream';
import { withDefaultModel } from './with-model';

async function through(chunks: Array<string | Buffer>, model: string): Promise<string> {
  let out = '';
  for await (const chunk of Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c))).pipe(withDefaultModel(model))) out += chunk.toString();
  return out;
}

describe('submit --model', () => {
  it('sets the model on seed and OpenAI lines that name none, keeps the others as they are, across chunk edges', async () => {
    const seed = JSON.stringify({ key: 'a', request: { contents: [{ parts: [{ text: 'hé' }] }] } });
    const named = JSON.stringify({ key: 'b', request: { model: 'llama-3.1-8b', contents: [] } });
    const openai = JSON.stringify({ custom_id: 'c', method: 'POST', url: '/v1/chat/completions', body: { messages: [] } });
    const file = Buffer.from([seed, named, '{"broken', '', openai].join('\n'));
    const cut = file.indexOf('é') + 1; // inside the two bytes of é
    const out = await through([file.subarray(0, cut), file.subarray(cut, 90), file.subarray(90)], 'qwen-7b');
    const lines = out.split('\n');
    expect(JSON.parse(lines[0])).toEqual({ key: 'a', request: { contents: [{ parts: [{ text: 'hé' }] }], model: 'qwen-7b' } });
    expect(lines[1]).toBe(named);
    expect(lines[2]).toBe('{"broken');
    expect(lines[3]).toBe('');
    expect(JSON.parse(lines[4]).body).toEqual({ messages: [], model: 'qwen-7b' });
    expect(lines).toHaveLength(5);
  });
});
