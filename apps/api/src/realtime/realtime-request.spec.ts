import { promptOf, RealtimeRequestSchema } from './realtime-request';

describe('promptOf', () => {
  it.each([
    [{ input: 'a' }, 'a'],
    [{ input: '', prompt: 'legacy' }, 'legacy'],
    [{ prompt: 'legacy' }, 'legacy'],
    [{ input: 'a', prompt: 'a' }, 'a'],
    [{ input: 'a', prompt: 'b' }, 'a\n\nb'],
    [{ input: ' ', prompt: '' }, ''],
  ])('given %j it is %j', (body, expected) => {
    expect(promptOf(body)).toBe(expected);
  });
});

describe('RealtimeRequestSchema', () => {
  it('defaults the profile to balanced and the strategy to lowest_cost', () => {
    expect(RealtimeRequestSchema.parse({ model: 'qwen-7b', prompt: 'hi', max_output_tokens: 8 })).toMatchObject({
      performance_profile: 'balanced',
      routing_strategy: 'lowest_cost',
    });
  });

  it('refuses unknown fields and a body without any text', () => {
    const result = RealtimeRequestSchema.safeParse({ model: 'qwen-7b', max_output_tokens: 8, tools: [] });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.') || i.code).sort()).toEqual(['input', 'unrecognized_keys']);
  });

  it('refuses a price cap beyond a million dollars and metadata over 16 KB, naming them', () => {
    const result = RealtimeRequestSchema.safeParse({ model: 'qwen-7b', input: 'hi', max_output_tokens: 8, max_price_usd: 1e10, metadata: { blob: 'x'.repeat(5_000_000) } });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.')).sort()).toEqual(['max_price_usd', 'metadata']);
  });

  it('names each field holding text PostgreSQL cannot store, and metadata nested too deep', () => {
    const deep = JSON.parse(`${'{"a":'.repeat(3_000)}1${'}'.repeat(3_000)}`);
    const result = RealtimeRequestSchema.safeParse({ model: 'qwen-7b', input: 'a\u0000b', prompt: '\ud800', max_output_tokens: 8, customer_ref: 'x\u0000', metadata: deep });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.')).sort()).toEqual(['customer_ref', 'input', 'metadata', 'prompt']);
  });
});
