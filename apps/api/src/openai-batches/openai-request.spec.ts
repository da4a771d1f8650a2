import { ValidationError } from '../errors/api-error';
import { checkUploadPurpose, completionWindowMinutes, CreateBatchSchema, ListFilesQuerySchema, parseOpenAi } from './openai-request';

const fieldsOf = (run: () => unknown) => {
  try {
    run();
  } catch (err) {
    if (err instanceof ValidationError) return err.fields;
    throw err;
  }
  throw new Error('expected a ValidationError');
};

describe('completion_window', () => {
  it.each([
    ['24h', 1_440],
    ['1h', 60],
    ['90m', 90],
    ['3d', 4_320],
    ['525600m', 525_600],
  ])('%s is an SLA of %i minutes', (window, minutes) => {
    expect(completionWindowMinutes(window)).toBe(minutes);
  });

  it.each(['0h', '24', 'h', '1.5h', '2w', ' 24h', '366d', '-1h', '01h'])('%j is no window', (window) => {
    expect(completionWindowMinutes(window)).toBeNull();
  });
});

describe('POST /v1/batches body', () => {
  const valid = { input_file_id: 'file-1', endpoint: '/v1/chat/completions', completion_window: '1h' };

  it('takes what the SDK sends, metadata included', () => {
    expect(parseOpenAi(CreateBatchSchema, { ...valid, metadata: { team: 'a' } })).toEqual({ ...valid, metadata: { team: 'a' } });
    expect(parseOpenAi(CreateBatchSchema, { ...valid, metadata: null })).toEqual({ ...valid, metadata: null });
  });

  it('names the bad parameter first, as OpenAI reports it in `param`', () => {
    expect(fieldsOf(() => parseOpenAi(CreateBatchSchema, { ...valid, completion_window: '2 weeks' }))[0]).toMatchObject({ field: 'completion_window', message: expect.stringContaining('"90m"') });
    expect(fieldsOf(() => parseOpenAi(CreateBatchSchema, { ...valid, endpoint: '/v1/embeddings' }))[0]).toMatchObject({ field: 'endpoint' });
    expect(fieldsOf(() => parseOpenAi(CreateBatchSchema, { endpoint: valid.endpoint, completion_window: '24h' }))[0].field).toBe('input_file_id');
    expect(fieldsOf(() => parseOpenAi(CreateBatchSchema, { ...valid, metadata: { k: 1 } }))[0].field).toBe('metadata.k');
  });

  it('refuses a field it does not support, naming it (never accepted and ignored)', () => {
    expect(fieldsOf(() => parseOpenAi(CreateBatchSchema, { ...valid, output_expires_after: { anchor: 'created_at', seconds: 3600 } }))).toEqual([
      { field: 'output_expires_after', message: 'unknown parameter output_expires_after: Sluice does not support it' },
    ]);
  });

  it('refuses a list query parameter out of range or unknown', () => {
    expect(parseOpenAi(ListFilesQuerySchema, { limit: '5', purpose: 'batch_output' })).toEqual({ limit: 5, purpose: 'batch_output' });
    expect(fieldsOf(() => parseOpenAi(ListFilesQuerySchema, { limit: '0' }))[0].field).toBe('limit');
    expect(fieldsOf(() => parseOpenAi(ListFilesQuerySchema, { purpose: 'fine-tune' }))[0].field).toBe('purpose');
  });
});

describe('an upload’s purpose', () => {
  it('is batch, or the upload is refused naming purpose', () => {
    expect(() => checkUploadPurpose({ purpose: 'batch' })).not.toThrow();
    expect(fieldsOf(() => checkUploadPurpose({ purpose: 'fine-tune' }))).toEqual([{ field: 'purpose', message: expect.stringContaining('"fine-tune"') }]);
    expect(fieldsOf(() => checkUploadPurpose({}))).toEqual([{ field: 'purpose', message: expect.stringContaining('required') }]);
  });
});
