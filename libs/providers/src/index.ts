export * from './provider-errors';
export * from './openai-compatible.adapter';
