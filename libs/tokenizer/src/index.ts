export * from './linear-bpe';
export * from './plain-count';
