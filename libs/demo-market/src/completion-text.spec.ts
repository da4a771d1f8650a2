import { countTokens, generateCompletion } from './completion-text';

describe('the demo market\'s token counts', () => {
  it('counts a 1 MB prompt without whitespace (hours for gpt-tokenizer alone)', () => {
    // "xxxxxxxx" is one token in both encodings.
    expect(countTokens('o200k_base', 'x'.repeat(1_000_000))).toBe(125_000);
    expect(countTokens('cl100k_base', 'x'.repeat(1_000_000))).toBe(125_000);
  });

  it('still counts and cuts prose as the package does', () => {
    expect(countTokens('o200k_base', 'hello world')).toBe(2);
    const answer = generateCompletion('seed', 'qwen-7b', 'cl100k_base', 'Describe the process of photosynthesis.', 8);
    expect(answer).toMatchObject({ completionTokens: 8, finishReason: 'length' });
  });
});
