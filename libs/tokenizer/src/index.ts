export * from './linear-bpe';
export * from './plain-count';
export * from './encodings';
