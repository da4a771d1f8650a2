export * from './provider-errors';
export * from './provider-port';
export * from './openai-compatible.adapter';
export * from './anthropic.adapter';
export * from './gemini.adapter';
export * from './provider-adapters';
export * from './provider-fetch';
