export * from './quote';
export * from './provider-health';
export * from './live-call';
export * from './params-refusal';
