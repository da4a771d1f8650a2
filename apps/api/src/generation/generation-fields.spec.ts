import { GenerationParams } from '@sluice/events';
import { ChatCompletionRequestSchema } from '../openai/chat-request';
import { RealtimeRequestSchema } from '../realtime/realtime-request';
import { generationParamsOf } from './generation-fields';

const chat = { model: 'qwen-7b', messages: [{ role: 'user', content: 'hi' }] };
const realtime = { model: 'qwen-7b', input: 'hi', max_output_tokens: 8 };

describe('the generation fields of a body', () => {
  // Found by schemathesis: `user: ""` passed the chat schema, then the event refused it after the provider had answered (a 500).
  it.each([
    ['chat completions', ChatCompletionRequestSchema, chat],
    ['real time', RealtimeRequestSchema, realtime],
  ] as const)('%s: an empty user is refused at the edge, naming it', (_, schema, body) => {
    const result = schema.safeParse({ ...body, user: '' });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path)).toEqual([['user']]);
  });

  it('become parameters the event accepts', () => {
    const params = generationParamsOf(ChatCompletionRequestSchema.parse({ ...chat, temperature: 0, user: 'end-user-7', stop: 'END' }));
    expect(params).toEqual({ temperature: 0, user: 'end-user-7', stop: ['END'] });
    expect(GenerationParams.safeParse(params).success).toBe(true);
  });
});
