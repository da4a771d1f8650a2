export * from './linear-bpe';
