export * from './blob-store.port';
export * from './create-blob-store';
export * from './blob-store.env';
export { assertValidKey } from './keys';
