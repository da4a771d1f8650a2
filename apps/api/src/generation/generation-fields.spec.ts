import { GenerationParams } from '@sluice/events';
import { ChatCompletionRequestSchema } from '../openai/chat-request';
import { generationParamsOf } from './generation-fields';

describe('generationParamsOf', () => {
  // Found by schemathesis: `user: ""` passed the chat schema, then the event refused it after the provider had answered (a 500).
  it('drops an empty user, so the event built from a valid body is valid', () => {
    const body = ChatCompletionRequestSchema.parse({ model: 'qwen-7b', messages: [{ role: 'user', content: 'hi' }], temperature: 0, user: '' });
    const params = generationParamsOf(body);
    expect(params).toEqual({ temperature: 0 });
    expect(GenerationParams.safeParse(params).success).toBe(true);
  });

  it('keeps a named user', () => {
    expect(generationParamsOf({ user: 'end-user-7' })).toEqual({ user: 'end-user-7' });
  });
});
