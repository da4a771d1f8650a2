import { loadCatalogue } from '@sluice/catalogue';
import { ObjectSubmitted } from '@sluice/events';
import { priceFactor } from '@sluice/pricing';
import { SlaCapacityExceededError, UnknownModelError, ValidationError } from '../errors/api-error';
import { InferItemSchema } from './infer-request';
import type { FileRow } from '../files/file.projection';
import { fileSlaDemands, submitFileTask, submitTask, type SubmitTaskContext } from './submit-task.decider';

const catalogue = loadCatalogue();
let n = 0;
const ctx = (): SubmitTaskContext => ({
  catalogue,
  accountId: 'acct-1',
  now: new Date('2030-01-01T10:00:00.000Z'),
  newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
  priceFactor,
});

describe('submitTask', () => {
  it('given items with and without an SLA, emits TaskSubmitted then ObjectSubmitted per item with their quotes', () => {
    const task = submitTask([{ model: 'gpt-4o', input: 'Hello OpenAI, how are you?' }, { sla: 1440, model: 'deepseek:r1-32b', input: 'Hello model' }], ctx());
    expect(task.events.map((e) => e.type)).toEqual(['TaskSubmitted', 'ObjectSubmitted', 'ObjectSubmitted']);
    const [, now, later] = task.events;
    expect(now.payload).toMatchObject({ index: 0, model: 'openai:gpt-4o', slaMinutes: null, deadlineAt: '2030-01-01T10:05:00.000Z', maxOutputTokens: 1024, pricing: { kind: 'sla', priceFactor: 1 } });
    expect(later.payload).toMatchObject({ index: 1, model: 'deepseek:r1-32b', slaMinutes: 1440, deadlineAt: '2030-01-02T10:00:00.000Z' });
    expect(task.objects[1].priceFactor).toBeLessThan(0.5);
    expect(task.objects[1].priceFactor).toBeGreaterThanOrEqual(0.3);
    expect(task.objects[0].inputTokens).toBe(8);
    expect(task.events.every((e) => e.correlationId === task.taskId)).toBe(true);
  });

  it('submits what the ObjectSubmitted schema accepts unchanged (it is not parsed again on the way out)', () => {
    const task = submitTask([{ model: 'gpt-4o', input: 'Hello' }, { sla: 60, model: 'llama-3.1-8b', input: 'A longer prompt, with "quotes" and ünïcode' }], { ...ctx(), outputFormat: 'jsonl' });
    for (const event of task.events.slice(1)) {
      expect(event.type).toBe('ObjectSubmitted');
      expect(ObjectSubmitted.schema.parse(event.payload)).toEqual(event.payload);
    }
  });

  it("passes an item's max_output_tokens and generation parameters on to its object, and refuses a bound over the model's cap", () => {
    const item = InferItemSchema.parse({ sla: 60, model: 'qwen-7b', input: 'Hi', max_output_tokens: 77, temperature: 1.3, top_p: 0.5, stop: 'END', seed: 4, response_format: { type: 'json_object' } });
    const [, submitted] = submitTask([item], ctx()).events;
    expect(submitted.payload).toMatchObject({ maxOutputTokens: 77, params: { temperature: 1.3, topP: 0.5, stop: ['END'], seed: 4, responseFormat: { type: 'json_object' } } });
    expect(ObjectSubmitted.schema.parse(submitted.payload)).toEqual(submitted.payload);
    const [, plain] = submitTask([{ model: 'qwen-7b', input: 'Hi' }], ctx()).events;
    expect(plain.payload).not.toHaveProperty('params');
    expect(() => submitTask([{ model: 'qwen-7b', input: 'Hi', max_output_tokens: 10_000_000 }], ctx())).toThrow(/items\[0\]\.max_output_tokens/);
    expect(InferItemSchema.safeParse({ model: 'qwen-7b', input: 'Hi', tools: [] }).success).toBe(false);
  });

  it("given more SLA items than a model's providers can run in the window, refuses the task naming each model and window; items without an SLA are not counted", () => {
    // gemini-direct alone serves gemini-flash: 1,000,000 tpm, ~65,500 tokens an item (its output bound), batch in 10 minutes.
    const items = (count: number, sla: number | null) => Array.from({ length: count }, () => ({ sla, model: 'gemini-flash', input: 'Hi', max_output_tokens: 65_000 }));
    expect(submitTask([...items(12, 1), ...items(50, null)], ctx()).objects).toHaveLength(62);
    const refused = (() => {
      try {
        submitTask([...items(12, 1), ...items(13, 2)], ctx());
        return undefined;
      } catch (err) {
        return err;
      }
    })();
    expect(refused).toBeInstanceOf(SlaCapacityExceededError);
    expect((refused as SlaCapacityExceededError).shortfalls).toEqual([{ model: 'google:gemini-2.5-flash', slaMinutes: 2, requests: 25, plannableRequests: 24 }]);
    expect(submitTask(items(1_000, 10), ctx()).objects).toHaveLength(1_000);
  });

  it('given an unknown model, names it and its item', () => {
    expect(() => submitTask([{ model: 'gpt-4o', input: 'a' }, { model: 'nope', input: 'b' }], ctx())).toThrow(new UnknownModelError('nope', 'items[1].model'));
  });

  it('given an input longer than the model\'s context, refuses the whole task naming the item', () => {
    const huge = 'word '.repeat(40_000);
    expect(() => submitTask([{ model: 'qwen-7b', input: 'ok' }, { model: 'qwen-7b', input: huge }], ctx())).toThrow(ValidationError);
    const thrown = (() => {
      try {
        submitTask([{ model: 'qwen-7b', input: 'ok' }, { model: 'qwen-7b', input: huge }], ctx());
        return undefined;
      } catch (err) {
        return err;
      }
    })();
    expect(thrown).toBeInstanceOf(ValidationError);
    expect((thrown as ValidationError).fields.map((f) => f.field)).toEqual(['items[1].input']);
  });
});

describe('submitFileTask', () => {
  const file = (models: FileRow['models']): FileRow => ({
    fileId: 'file-1',
    accountId: 'acct-1',
    fileName: 'data.jsonl',
    bytes: 1000,
    mimeType: 'application/jsonl',
    sha256: '0'.repeat(64),
    blobKey: 'files/acct-1/file-1',
    items: (models ?? []).reduce((n, m) => n + m.lines, 0),
    format: 'sluice',
    purpose: 'input',
    taskId: null,
    createdAt: '2030-01-01T09:00:00.000Z',
    models,
  });
  const fileCtx = () => ({ catalogue, accountId: 'acct-1', outputFormat: 'json' as const, deps: { now: () => new Date('2030-01-01T10:00:00.000Z'), newId: ctx().newId } });
  const refusal = (run: () => unknown) => {
    try {
      run();
      return undefined;
    } catch (err) {
      return err;
    }
  };

  it("refuses a file whose lines for a model are more than its providers' limits allow in the window, from the upload's tally", () => {
    // gemini-flash, as above: about 24 items of 65,000 output tokens in 2 minutes.
    const lines = (n: number) => [{ model: 'gemini-flash', lines: n, maxOutputTokens: n * 65_000, linesWithoutMax: 0 }];
    expect(submitFileTask({ file_id: 'file-1', sla: 2 }, file(lines(24)), fileCtx()).payload).toMatchObject({ totalItems: 24, slaMinutes: 2 });
    const refused = refusal(() => submitFileTask({ file_id: 'file-1', sla: 2 }, file(lines(25)), fileCtx()));
    expect(refused).toBeInstanceOf(SlaCapacityExceededError);
    expect((refused as SlaCapacityExceededError).shortfalls).toEqual([{ model: 'google:gemini-2.5-flash', slaMinutes: 2, requests: 25, plannableRequests: 24 }]);
    // Without an SLA nothing waits for a window; a longer one fits.
    expect(submitFileTask({ file_id: 'file-1' }, file(lines(25)), fileCtx()).payload.slaMinutes).toBeNull();
    expect(submitFileTask({ file_id: 'file-1', sla: 10 }, file(lines(25)), fileCtx()).payload.totalItems).toBe(25);
  });

  it("counts a line without a bound at the model's default, caps a bound at the model's maximum, and leaves unknown models and untallied files out", () => {
    const gemini = catalogue.models.find((m) => m.id === 'google:gemini-2.5-flash')!;
    expect(fileSlaDemands(catalogue, file([{ model: 'gemini-flash', lines: 3, maxOutputTokens: 10_000_000, linesWithoutMax: 1 }]), 60)).toEqual([
      { model: 'google:gemini-2.5-flash', slaMinutes: 60, requests: 3, tokens: 2 * gemini.maxOutputTokens + 1024 },
    ]);
    expect(fileSlaDemands(catalogue, file([{ model: 'no-such-model', lines: 5, maxOutputTokens: 0, linesWithoutMax: 5 }]), 60)).toEqual([]);
    expect(submitFileTask({ file_id: 'file-1', sla: 1 }, file(null), fileCtx()).payload.slaMinutes).toBe(1);
  });
});
