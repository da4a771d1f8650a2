import { loadCatalogue, countPromptTokensWith, findModel, Slices } from '@sluice/catalogue';
import { parseLine } from '@sluice/batch-formats';
import { ObjectSubmitted } from '@sluice/events';
import { priceFactor } from '@sluice/pricing';
import { LineExpander, fileObjectId, type FileTask } from './expand-line.decider';

const catalogue = loadCatalogue();
const submittedAt = new Date('2026-11-23T10:00:00.000Z');
const task: FileTask = { taskId: 'task-1', accountId: 'acct-1', totalItems: 4, slaMinutes: 60, collectOutput: true, submittedAt };
const deps = { catalogue, priceFactor, now: () => new Date('2026-11-23T10:00:05.000Z') };
const seed = (key: string, text: string, model: string) => JSON.stringify({ key, request: { contents: [{ parts: [{ text }] }], model } });

describe('LineExpander: a file line becomes an object, or a rejection naming its line', () => {
  it('submits a good line with its key, resolved model, counted tokens, quoted factor and the task\'s deadline', () => {
    const event = new LineExpander(task, deps).expand(parseLine(seed('object-1', 'Describe photosynthesis.', 'deepseek:r1-32b'), 1, 'sluice'), 0);
    expect(event.type).toBe('ObjectSubmitted');
    if (event.type !== 'ObjectSubmitted') return;
    const model = findModel(catalogue, 'deepseek:r1-32b')!;
    expect(event.payload).toMatchObject({
      objectId: fileObjectId('task-1', 0),
      taskId: 'task-1',
      index: 0,
      itemKey: 'object-1',
      model: model.id,
      input: { text: 'Describe photosynthesis.' },
      inputTokens: countPromptTokensWith(model.tokenizer, 'Describe photosynthesis.'),
      slaMinutes: 60,
      deadlineAt: '2026-11-23T11:00:00.000Z',
      collectOutput: true,
    });
    expect(event.payload.pricing).toMatchObject({ kind: 'sla', priceFactor: expect.any(Number) });
    if (event.payload.pricing.kind === 'sla') expect(event.payload.pricing.priceFactor).toBeLessThan(1);
  });

  it('keeps an OpenAI line\'s conversation and token budget', () => {
    const line = JSON.stringify({ custom_id: 'r1', method: 'POST', url: '/v1/chat/completions', body: { model: 'qwen-7b', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }], max_tokens: 32 } });
    const event = new LineExpander(task, deps).expand(parseLine(line, 2, 'openai'), 1);
    expect(event.type).toBe('ObjectSubmitted');
    if (event.type === 'ObjectSubmitted') {
      expect(event.payload.input).toEqual({ messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }] });
      expect(event.payload.maxOutputTokens).toBe(32);
    }
  });

  it("carries the line's generation parameters to the object, as the schema accepts them", () => {
    const line = JSON.stringify({ key: 'g1', request: { model: 'qwen-7b', contents: [{ parts: [{ text: 'Hi' }] }], generation_config: { temperature: 1.3, top_p: 0.5, stop_sequences: ['END'] } } });
    const event = new LineExpander(task, deps).expand(parseLine(line, 1, 'sluice'), 0);
    expect(event.type).toBe('ObjectSubmitted');
    if (event.type === 'ObjectSubmitted') {
      expect(event.payload.params).toEqual({ temperature: 1.3, topP: 0.5, stop: ['END'] });
      expect(ObjectSubmitted.schema.parse(event.payload)).toEqual(event.payload);
    }
  });

  it('submits what the ObjectSubmitted schema accepts unchanged (it is not parsed again on the way out)', () => {
    const expander = new LineExpander({ ...task, slaMinutes: null, collectOutput: false }, deps);
    const openai = JSON.stringify({ custom_id: 'r2', method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o', messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }] } });
    const events = [expander.expand(parseLine(seed('s1', 'Plain text.', 'llama-3.1-8b'), 1, 'sluice'), 0), expander.expand(parseLine(openai, 2, 'openai'), 1)];
    for (const event of events) {
      expect(event.type).toBe('ObjectSubmitted');
      expect(ObjectSubmitted.schema.parse(event.payload)).toEqual(event.payload);
    }
  });

  it('rejects a broken line, an unknown model and an input too long for the model, each with its line number', () => {
    const expander = new LineExpander(task, deps);
    const broken = expander.expand(parseLine('{"key": "x", ', 3, 'sluice'), 2);
    const unknown = expander.expand(parseLine(seed('k4', 'hi', 'no-such-model'), 4, 'sluice'), 3);
    const huge = expander.expand(parseLine(seed('k5', 'word '.repeat(200_000), 'qwen-7b'), 5, 'sluice'), 4);
    expect([broken, unknown, huge].map((e) => e.type)).toEqual(['ObjectRejected', 'ObjectRejected', 'ObjectRejected']);
    expect(broken.payload).toMatchObject({ code: 'invalid_json', lineNo: 3, index: 2, message: expect.stringContaining('line 3') });
    expect(unknown.payload).toMatchObject({ code: 'unknown_model', itemKey: 'k4', message: "line 4: unknown model 'no-such-model'" });
    expect(huge.payload).toMatchObject({ code: 'input_too_long', itemKey: 'k5', message: expect.stringMatching(/^line 5: \d+ input tokens/) });
  });

  it('gives a line the same object and event ids every time, so a resumed expansion republishes the same events', () => {
    const line = parseLine(seed('a', 'same', 'qwen-7b'), 7, 'sluice');
    const first = new LineExpander(task, deps).expand(line, 6);
    const again = new LineExpander(task, { ...deps, now: () => new Date('2026-11-23T12:00:00.000Z') }).expand(line, 6);
    expect(again.eventId).toBe(first.eventId);
    expect(again.payload).toEqual(first.payload);
    expect(new LineExpander({ ...task, taskId: 'task-2' }, deps).expand(line, 6).eventId).not.toBe(first.eventId);
    expect(new LineExpander(task, deps).expand(line, 7).payload.objectId).not.toBe(first.payload.objectId);
  });
});

describe('LineExpander.countInput', () => {
  it('counts, in slices, the tokens expand would count, for text and conversations, long or short', async () => {
    const expander = new LineExpander(task, deps);
    const long = 'glued'.repeat(10_000);
    const conversation = JSON.stringify({ custom_id: 'c', method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: long }] } });
    const lines = [parseLine(seed('t', long, 'qwen-7b'), 1, 'sluice'), parseLine(seed('s', 'Hi there.', 'gpt-4o'), 2, 'sluice'), parseLine(conversation, 3, 'openai')];
    for (const [i, line] of lines.entries()) {
      const counted = await expander.countInput(line, new Slices());
      const event = expander.expand(line, i);
      expect(event.type).toBe('ObjectSubmitted');
      if (event.type === 'ObjectSubmitted') expect(counted).toBe(event.payload.inputTokens);
    }
  });

  it('counts nothing for a line expand refuses before counting', async () => {
    const expander = new LineExpander(task, deps);
    expect(await expander.countInput(parseLine(seed('u', 'Hi', 'no-such-model'), 1, 'sluice'), new Slices())).toBeUndefined();
    expect(await expander.countInput(parseLine('{not json', 2, 'sluice'), new Slices())).toBeUndefined();
  });
});
